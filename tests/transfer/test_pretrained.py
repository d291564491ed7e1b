"""PretrainedModel and NewTaskModel (notebook 03): shipped base, freezing, fine-tuning, errors."""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pytest

from course_utils.notebook import setup

setup(seed=0)

import keras  # noqa: E402  (after setup, which imports TensorFlow quietly)

from course_utils.datasets.images import SOURCE_CLASSES, source_task, target_task  # noqa: E402
from course_utils.transfer import NewTaskModel, PretrainedModel, build_base  # noqa: E402
from course_utils.transfer import applications as applications_module  # noqa: E402
from course_utils.transfer.pretrained import DEFAULT_BASE_PATH, preprocess_images  # noqa: E402

CARD_PATH = DEFAULT_BASE_PATH.with_suffix(".json")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def few_target():
    return target_task(6, seed=5)


def small_mobilenet(**kwargs):
    return PretrainedModel.from_application(
        "MobileNetV2", weights=None, input_shape=(32, 32, 3), alpha=0.35, **kwargs
    )


# -- the shipped base and its card ---------------------------------------------------------------
def test_shipped_base_is_small_and_matches_its_card():
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    assert DEFAULT_BASE_PATH.stat().st_size < 2_000_000
    assert card["sha256"] == hashlib.sha256(DEFAULT_BASE_PATH.read_bytes()).hexdigest()
    assert card["source_classes"] == list(SOURCE_CLASSES)
    assert card["command"].startswith("python -m course_utils.transfer.build_base")
    base = PretrainedModel.from_file()
    assert card["parameter_count"] == base.classifier.count_params()
    assert 10_000 < card["parameter_count"] < 100_000
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in base.base.layers)


def test_shipped_base_reaches_its_recorded_accuracy_on_fresh_source_images():
    base = PretrainedModel.from_file()
    x, y = source_task(60, seed=31337)  # a seed neither the build nor its evaluation used
    logits = base.classifier.predict(base.preprocess(x), verbose=0)
    accuracy = float(np.mean(logits.argmax(-1) == y))
    assert accuracy >= base.card["source_accuracy"] - 0.05


def test_build_command_writes_a_loadable_base_and_card_deterministically(tmp_path):
    """A reduced build (same code path, 1 epoch), twice: same card, file loads in safe mode."""
    cards = [
        build_base.build(tmp_path / name, per_class=40, epochs=1, eval_per_class=20)
        for name in ("a", "b")
    ]
    assert cards[0]["source_accuracy"] == cards[1]["source_accuracy"]
    assert cards[0]["command"].endswith("--per-class 40 --epochs 1 --eval-per-class 20")
    loaded = PretrainedModel.from_file(tmp_path / "a" / "shapes_cnn.keras")
    assert loaded.card == cards[0] and loaded.feature_dim == 64


@pytest.mark.slow  # re-runs the full build (about a minute)
def test_full_build_reproduces_the_shipped_accuracy_within_the_card_tolerance(tmp_path):
    shipped = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    rebuilt = build_base.build(
        tmp_path,
        per_class=shipped["train_images_per_class"],
        epochs=shipped["epochs"],
        seed=shipped["seed"],
        eval_per_class=shipped["eval_images_per_class"],
    )
    difference = abs(rebuilt["source_accuracy"] - shipped["source_accuracy"])
    assert difference <= shipped["reproduce_tolerance"]


# -- freezing and fine-tuning ---------------------------------------------------------------------
def test_training_the_head_leaves_every_base_variable_bitwise_unchanged(few_target):
    base = PretrainedModel.from_file()
    model = NewTaskModel(base, 5)
    before = base.snapshot()
    model.train(*few_target, epochs=2, batch_size=8)
    assert any("moving_mean" in path for path in before)
    assert PretrainedModel.changed(before, base.snapshot()) == []
    assert base.parameter_counts()["trainable"] == 0


def test_unfrozen_batchnorm_statistics_move_despite_training_false_and_the_fix_holds(few_target):
    stats = {"block3_bn/moving_mean", "block3_bn/moving_variance"}
    changed = {}
    for keep in (False, True):
        base = PretrainedModel.from_file()
        model = NewTaskModel(base, 5)
        model.train(*few_target, epochs=1)
        before = base.snapshot()
        model.fine_tune(*few_target, epochs=1, keep_batchnorm_frozen=keep)
        changed[keep] = set(PretrainedModel.changed(before, base.snapshot()))
    assert stats <= changed[False]  # the trap (keras-team/keras#20285)
    assert changed[True] == {"block3_conv/kernel"}  # the fix: only the conv kernel learns


def test_changing_trainable_takes_effect_only_after_recompiling(few_target):
    base = PretrainedModel.from_file()
    model = NewTaskModel(base, 5)
    model.train(*few_target, epochs=1)
    base.base.trainable = True
    before = base.snapshot()
    model.model.fit(*few_target, epochs=1, verbose=0)
    assert PretrainedModel.changed(before, base.snapshot()) == []
    model.compile(1e-3)
    model.model.fit(*few_target, epochs=1, verbose=0)
    assert PretrainedModel.changed(before, base.snapshot())


def test_head_shapes_and_probabilities(few_target):
    base = PretrainedModel.from_file()
    model = NewTaskModel(base, 5, hidden_units=8)
    keras_model = model.add_task_specific_layers()
    assert keras_model.input_shape == (None, 32, 32, 3)
    assert keras_model.output_shape == (None, 5)
    assert base.extract_features(few_target[0]).shape == (30, 64)
    probabilities = model.predict_proba(few_target[0])
    assert probabilities.shape == (30, 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_preprocessing_maps_0_255_to_minus_1_plus_1():
    images = np.array([0, 255], dtype=np.uint8).reshape(2, 1, 1, 1).repeat(3, axis=-1)
    assert preprocess_images(images).ravel().tolist() == [-1, -1, -1, 1, 1, 1]


# -- keras.applications, offline ------------------------------------------------------------------
def test_application_base_builds_offline_with_random_weights_and_freezes():
    base = small_mobilenet()
    assert base.preprocessing == "tf" and base.input_shape == (32, 32, 3)
    assert base.classifier is None
    assert len(base.base.output.shape) == 2
    base.freeze()
    assert base.parameter_counts()["trainable"] == 0
    trainable = base.unfreeze_top()
    assert trainable and not any("bn" in name.lower() for name in trainable)
    assert 0 < base.parameter_counts()["trainable"] < base.base.count_params()


def test_imagenet_weights_offline_raise_a_clear_connection_error(monkeypatch):
    monkeypatch.setattr(applications_module, "_weights_cached", lambda prefix: False)
    with pytest.raises(ConnectionError, match="weights=None"):
        PretrainedModel.from_application("MobileNetV2", weights="imagenet", offline=True)
    monkeypatch.setattr(applications_module, "weights_reachable", lambda timeout: False)
    with pytest.raises(ConnectionError, match="MobileNetV2"):
        PretrainedModel.from_application("MobileNetV2", weights="imagenet")


def test_connectivity_probe_is_bounded_by_its_timeout():
    start = time.perf_counter()
    assert applications_module.weights_reachable(timeout=0.5, host="no-such-host.invalid") is False
    assert time.perf_counter() - start < 2.0


# -- bad inputs -----------------------------------------------------------------------------------
def test_unknown_application_name_is_refused():
    with pytest.raises(ValueError, match="unknown application 'ResNet9000'"):
        PretrainedModel.from_application("ResNet9000", weights=None)


def test_missing_files_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_base"):
        PretrainedModel.from_file(tmp_path / "absent.keras")
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        PretrainedModel.from_application("MobileNetV2", weights=str(tmp_path / "absent.h5"))
    with pytest.raises(ValueError, match="'.keras'"):
        PretrainedModel.from_file(tmp_path / "model.h5")


@pytest.mark.parametrize(
    "shape, message",
    [
        ((4, 28, 28, 3), r"\(28, 28, 3\), the base expects \(32, 32, 3\)"),
        ((4, 32, 32, 1), "1 channel"),
        ((32, 32, 3), "batch"),
    ],
)
def test_wrong_image_shapes_raise_clear_errors(shape, message):
    base = PretrainedModel.from_file()
    with pytest.raises(ValueError, match=message):
        base.extract_features(np.zeros(shape, dtype=np.uint8))
    with pytest.raises(ValueError, match=message):
        NewTaskModel(base, 5).predict(np.zeros(shape, dtype=np.uint8))


def test_new_task_model_validates_its_arguments():
    base = PretrainedModel.from_file()
    with pytest.raises(ValueError, match="num_classes"):
        NewTaskModel(base, 1)
    for bad in (2.0, True, "5"):
        with pytest.raises(TypeError, match="num_classes must be an int"):
            NewTaskModel(base, bad)
    with pytest.raises(TypeError, match="PretrainedModel"):
        NewTaskModel(base.base, 5)
    with pytest.raises(ValueError, match="no layer"):
        base.unfreeze_top(["block9_conv"])


def test_load_weights_restores_a_base_and_refuses_missing_or_misnamed_files(tmp_path):
    base = PretrainedModel.from_file()
    path = tmp_path / "base.weights.h5"
    base.base.save_weights(path)
    saved = base.snapshot()
    reloaded = PretrainedModel.from_file()
    reloaded.base.set_weights([np.zeros_like(w) for w in reloaded.base.get_weights()])
    reloaded.load_weights(path)
    assert PretrainedModel.changed(saved, reloaded.snapshot()) == []
    with pytest.raises(FileNotFoundError, match="absent.weights.h5"):
        base.load_weights(tmp_path / "absent.weights.h5")
    with pytest.raises(ValueError, match="weights.h5"):
        base.load_weights(tmp_path / "base.h5")
