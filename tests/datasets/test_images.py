"""The procedural image tasks of notebooks 03 and 05: deterministic, balanced, validated."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.datasets.images import (
    SOURCE_CLASSES,
    TARGET_CLASSES,
    labels_per_class_subset,
    make_images,
    source_task,
    target_task,
)


def test_same_seed_same_images_different_seed_different_images():
    x1, y1 = source_task(5, seed=3)
    x2, y2 = source_task(5, seed=3)
    x3, _ = source_task(5, seed=4)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize(
    "task, classes", [(source_task, SOURCE_CLASSES), (target_task, TARGET_CLASSES)]
)
def test_classes_are_balanced_and_images_are_rgb_uint8(task, classes):
    x, y = task(7, image_size=24, seed=0)
    assert x.shape == (7 * len(classes), 24, 24, 3) and x.dtype == np.uint8
    assert np.array_equal(np.bincount(y, minlength=len(classes)), [7] * len(classes))
    assert x.std() > 20  # not blank: shapes, textures and gradients vary


def test_labels_are_shuffled_not_grouped():
    _, y = target_task(20, seed=0)
    assert not np.array_equal(y, np.sort(y))


def test_source_and_target_tasks_share_no_class():
    assert not set(SOURCE_CLASSES) & set(TARGET_CLASSES)


def test_every_class_draws_something_inside_the_image():
    for name in SOURCE_CLASSES + TARGET_CLASSES:
        x, _ = make_images([name], 3, seed=1)
        # foreground pixels differ from the smooth background: high local contrast somewhere
        assert np.abs(np.diff(x.astype(int), axis=1)).max() > 60, name


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"class_names": ["disk", "blob"], "n_per_class": 2}, "unknown shape"),
        ({"class_names": [], "n_per_class": 2}, "empty"),
        ({"class_names": ["disk", "disk"], "n_per_class": 2}, "duplicates"),
        ({"class_names": ["disk"], "n_per_class": 0}, "n_per_class"),
        ({"class_names": ["disk"], "n_per_class": 2, "image_size": 4}, "image_size"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_images(**kwargs)


def test_labels_per_class_subset_picks_exactly_k_of_each_class_without_repeats():
    _, y = target_task(10, seed=0)
    chosen = labels_per_class_subset(y, 4, seed=1)
    assert len(set(chosen.tolist())) == len(chosen) == 4 * len(TARGET_CLASSES)
    assert np.array_equal(np.bincount(y[chosen]), [4] * len(TARGET_CLASSES))
    assert np.array_equal(chosen, labels_per_class_subset(y, 4, seed=1))


def test_labels_per_class_subset_refuses_more_than_the_pool_has():
    _, y = target_task(3, seed=0)
    with pytest.raises(ValueError, match="fewer than labels_per_class=5"):
        labels_per_class_subset(y, 5)


def test_wrong_types_raise_type_error():
    # The package's one rule (course_utils/validation.py): wrong type -> TypeError.
    with pytest.raises(TypeError, match="n_per_class"):
        make_images(["disk"], n_per_class=2.0)
