"""Dataset (notebook 02): seeded, split, controllable, and loud about bad input."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.datasets.tabular import Dataset


def test_same_seed_gives_the_same_rows_bitwise():
    a, b = Dataset(seed=3), Dataset(seed=3)
    for name in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, Dataset(seed=4).x_train)


def test_split_sizes_dtypes_and_no_overlap():
    data = Dataset(n_samples=500, validation_fraction=0.2)
    assert (len(data.y_train), len(data.y_val), len(data)) == (400, 100, 500)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.float32
    assert data.x_train.shape == (400, 2) and data.n_features == 2
    rows = {tuple(row) for row in data.x_train} & {tuple(row) for row in data.x_val}
    assert not rows
    assert set(np.unique(data.y_train)) <= {0.0, 1.0}


def test_second_feature_is_scaled_by_feature_scale():
    stds = Dataset(n_samples=4000, feature_scale=10.0).feature_stds()
    assert 0.9 < stds[0] < 1.1 and 9.0 < stds[1] < 11.0


def _agreement(data: Dataset) -> float:
    """Share of labels on the side of the true boundary (1.5 x1 + 0.5 x2 / scale = 0)."""
    x = data.x_train
    margin = 1.5 * x[:, 0] + 0.5 * x[:, 1] / data.feature_scale
    return float(np.mean((margin > 0) == (data.y_train > 0.5)))


def test_difficulty_controls_class_overlap():
    easy, hard = Dataset(n_samples=4000, difficulty=0.1), Dataset(n_samples=4000, difficulty=2.0)
    assert _agreement(easy) > 0.95 > 0.8 > _agreement(hard)


def test_from_arrays_wraps_valid_data():
    x = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0, 1] * 10)
    data = Dataset.from_arrays(x, y, validation_fraction=0.25)
    assert (len(data.y_train), len(data.y_val)) == (15, 5)


@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        (np.zeros((0, 2)), np.zeros(0), "empty"),
        (np.zeros((5, 0)), np.zeros(5), "empty"),
        (np.zeros(5), np.zeros(5), "2-D"),
        (np.zeros((5, 2, 1)), np.zeros(5), "2-D"),
        (np.zeros((5, 2)), np.zeros(4), "one label per row"),
        (np.zeros((5, 2)), np.zeros((5, 1)), "one label per row"),
        (np.zeros((5, 2)), np.array([0, 1, 2, 0, 1]), "0 or 1"),
        (np.array([[0.0, np.nan]] * 5), np.zeros(5), "NaN"),
    ],
)
def test_bad_arrays_give_a_clear_value_error(features, labels, message):
    with pytest.raises(ValueError, match=message):
        Dataset.from_arrays(features, labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 5}, "n_samples"),
        ({"difficulty": 0}, "difficulty"),
        ({"feature_scale": -1}, "feature_scale"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"n_samples": 10, "validation_fraction": 0.01}, "empty train or validation"),
    ],
)
def test_bad_parameters_give_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dataset(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_samples": 100.0},
        {"n_samples": True},
        {"difficulty": "0.5"},
        {"validation_fraction": None},
    ],
)
def test_wrong_types_give_a_type_error_naming_the_argument(kwargs):
    # The package's one rule (course_utils/validation.py): wrong type -> TypeError.
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        Dataset(**kwargs)
