"""TaskSpecificModel and ImageClassificationModel (notebook 05), and notebook 03's comparison:
the early-stopping trainer both sides use, the sweep, and the shipped sweep it must match."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.notebook import setup

setup(seed=0)

import keras  # noqa: E402

from course_utils.datasets.images import TARGET_CLASSES, target_task  # noqa: E402
from course_utils.transfer import (  # noqa: E402
    ImageClassificationModel,
    PretrainedModel,
    TaskSpecificModel,
)
from course_utils.transfer.images import (  # noqa: E402
    COMPARISON_DATA,
    confusion_matrix,
    load_comparison,
    summarize_comparison,
    transfer_vs_scratch,
)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def data():
    return target_task(8, seed=11), target_task(6, seed=12)


def make_classifier():
    return ImageClassificationModel(
        PretrainedModel.from_file(), TaskSpecificModel(5, hidden_units=16), TARGET_CLASSES
    )


def test_head_maps_features_to_one_logit_per_class():
    head = TaskSpecificModel(5, hidden_units=16)
    model = head.build(64)
    assert model.input_shape == (None, 64) and model.output_shape == (None, 5)
    assert head.build(64) is model
    with pytest.raises(ValueError, match="64 features"):
        head.build(32)


def test_head_trained_on_cached_features_plugs_into_the_full_model(data):
    (x, y), (x_test, _) = data
    classifier = make_classifier()
    features = classifier.pretrained.extract_features(x)
    classifier.task.train_on_features(features, y, steps=50)
    # Same layers, same weights: the end-to-end model agrees with head(features).
    expected = classifier.task.predict(classifier.pretrained.extract_features(x_test))
    assert np.array_equal(classifier.predict(x_test), expected)


def test_train_evaluate_and_confusion_matrix(data):
    (x, y), (x_test, y_test) = data
    classifier = make_classifier()
    before = classifier.pretrained.snapshot()
    classifier.train(x, y, epochs=2, batch_size=8)
    assert PretrainedModel.changed(before, classifier.pretrained.snapshot()) == []
    report = classifier.evaluate(x_test, y_test)
    assert report["confusion"].shape == (5, 5) and report["confusion"].sum() == len(y_test)
    assert report["accuracy"] == pytest.approx(np.trace(report["confusion"]) / len(y_test))
    assert np.array_equal(report["misclassified"], np.flatnonzero(report["predicted"] != y_test))


def test_fine_tuned_classifier_survives_a_save_load_round_trip(data, tmp_path):
    (x, y), (x_test, _) = data
    classifier = make_classifier()
    classifier.train(x, y, epochs=1)
    classifier.fine_tune(x, y, epochs=1, learning_rate=1e-4)
    path = classifier.save(tmp_path / "classifier.keras")
    loaded = ImageClassificationModel.load(path, TARGET_CLASSES)
    assert np.array_equal(loaded.predict_proba(x_test), classifier.predict_proba(x_test))
    assert loaded.class_names == TARGET_CLASSES


def test_saving_refuses_legacy_extensions_and_loading_missing_files(tmp_path):
    classifier = make_classifier()
    for name in ("model.h5", "model", "model.weights.h5"):
        with pytest.raises(ValueError, match="'.keras'"):
            classifier.save(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="absent.keras"):
        ImageClassificationModel.load(tmp_path / "absent.keras", TARGET_CLASSES)


def test_same_code_path_with_a_keras_applications_base(data):
    (x, y), _ = data
    base = PretrainedModel.from_application(
        "MobileNetV2", weights=None, input_shape=(32, 32, 3), alpha=0.35
    )
    classifier = ImageClassificationModel(base, TaskSpecificModel(5), TARGET_CLASSES)
    classifier.train(x[:10], y[:10], epochs=1)
    assert classifier.predict(x).shape == (len(x),)


def test_constructor_validates_arguments():
    base = PretrainedModel.from_file()
    with pytest.raises(ValueError, match="3 class names for a head with 5"):
        ImageClassificationModel(base, TaskSpecificModel(5), ["a", "b", "c"])
    with pytest.raises(TypeError, match="TaskSpecificModel"):
        ImageClassificationModel(base, keras.Sequential(), TARGET_CLASSES)
    with pytest.raises(ValueError, match="num_classes"):
        TaskSpecificModel(1)
    for bad in (2.0, True, "5"):
        with pytest.raises(TypeError, match="num_classes must be an int"):
            TaskSpecificModel(bad)


def test_wrong_channel_count_is_refused_by_the_classifier(data):
    (x, y), _ = data
    with pytest.raises(ValueError, match="1 channel"):
        make_classifier().train(x[..., :1], y, epochs=1)


def test_confusion_matrix_counts_pairs():
    matrix = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 0], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_summary_averages_seeds_and_refuses_unknown_sizes():
    rows = [
        {"labels_per_class": 5, "seed": 0, "transfer": 0.8, "scratch": 0.2},
        {"labels_per_class": 5, "seed": 1, "transfer": 0.6, "scratch": 0.4},
        {"labels_per_class": 9, "seed": 0, "transfer": 0.9, "transfer_steps": 40},
    ]
    summary = summarize_comparison(rows, 5)[5]
    assert {k: summary[k] for k in ("transfer", "scratch", "gain")} == pytest.approx(
        {"transfer": 0.7, "scratch": 0.3, "gain": 0.4}
    )
    # a size measured on the transfer side only: NaN for scratch and the gain, not a KeyError
    only_transfer = summarize_comparison(rows)[9]
    assert only_transfer["transfer_steps"] == 40 and np.isnan(only_transfer["gain"])
    with pytest.raises(ValueError, match="no results for 7"):
        summarize_comparison(rows, 7)


@pytest.fixture(scope="module")
def sweep_data():
    return target_task(10, seed=1), target_task(4, seed=3), target_task(20, seed=2)


def test_transfer_beats_scratch_with_few_labels_both_trained_to_early_stopping(sweep_data):
    pool, validation, test = sweep_data
    rows = transfer_vs_scratch(
        PretrainedModel.from_file(), pool, validation, test, labels_per_class=(5,), seeds=(1,)
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["transfer"] > row["scratch"] + 0.2
    # both sides report the steps of their restored weights, a multiple of the scoring interval
    assert row["transfer_steps"] % 20 == 0 and row["scratch_steps"] % 20 == 0


def test_a_row_does_not_depend_on_the_other_runs_of_the_sweep(sweep_data):
    # The notebook re-runs a part of the shipped sweep and compares row by row.
    pool, validation, test = sweep_data
    base = PretrainedModel.from_file()
    alone = transfer_vs_scratch(base, pool, validation, test, labels_per_class=(3,), seeds=(1,))
    within = transfer_vs_scratch(
        base, pool, validation, test, labels_per_class=(2, 3), seeds=(0, 1), scratch_sizes=(3,)
    )
    assert within[-1] == alone[0]
    assert "scratch" not in within[0] and "transfer" in within[0]  # scratch_sizes skipped it


def test_shipped_comparison_covers_the_sweep_and_its_data():
    shipped = load_comparison()
    assert shipped["data"] == COMPARISON_DATA
    sizes = sorted({row["labels_per_class"] for row in shipped["rows"]})
    assert sizes[0] <= 5 and sizes[-1] >= 200
    for row in shipped["rows"]:
        assert {"transfer", "scratch", "transfer_steps", "scratch_steps"} <= set(row)
    with pytest.raises(FileNotFoundError, match="--comparison"):
        load_comparison("/nonexistent/comparison.json")


def test_features_are_what_predict_gives_whatever_the_batch(data):
    # extract_features calls the base directly, a chunk at a time; transfer_vs_scratch then
    # computes the features of the labelled pool images only. Both rely on this: the features
    # are those of Model.predict, bit for bit, and an image's do not depend on its batch.
    (x, _), (x_test, _) = data
    base = PretrainedModel.from_file()
    images = np.concatenate([x, x_test])
    features = base.extract_features(images)
    expected = base.base.predict([base.preprocess(images)], verbose=0)
    assert np.array_equal(features, expected)
    assert np.array_equal(base.extract_features(images, batch_size=7), features)
    assert np.array_equal(base.extract_features(images[5:9]), features[5:9])
    assert base.extract_features(images[:0]).shape == (0, base.feature_dim)
    with pytest.raises(ValueError, match="batch_size"):
        base.extract_features(images, batch_size=0)


def test_head_predict_calls_the_head_and_agrees_with_keras_predict():
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(40, 64)).astype("float32"), rng.integers(0, 5, 40)
    head = TaskSpecificModel(5, hidden_units=16, dropout=0.5)
    head.train_on_features(features, labels, steps=20)
    expected = head.model.predict(features, verbose=0).argmax(-1)
    assert np.array_equal(head.predict(features), expected)  # dropout off, as in predict
    with pytest.raises(RuntimeError, match="not built"):
        TaskSpecificModel(5).predict(features)
