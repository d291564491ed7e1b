"""Notebook 05's package changes: the shared ``TaskLayers``, ``top_classes`` for the widget,
``save``'s message about legacy formats, and ``network_guard`` behind ``offline=True``."""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest

from course_utils.notebook import setup

setup(seed=0)

from course_utils.datasets.images import TARGET_CLASSES  # noqa: E402
from course_utils.transfer import (  # noqa: E402
    ImageClassificationModel,
    NewTaskModel,
    PretrainedModel,
    TaskSpecificModel,
)
from course_utils.transfer import applications as applications_module  # noqa: E402
from course_utils.transfer.image_models import top_classes  # noqa: E402
from course_utils.transfer.new_task import TaskLayers  # noqa: E402


# -- TaskLayers: one description of the new layers, shared -------------------------------------
def test_head_and_new_task_model_share_the_task_layers_description():
    base = PretrainedModel.from_file()
    head = TaskSpecificModel(5, hidden_units=8, dropout=0.1)
    whole = NewTaskModel(base, 5, hidden_units=8, dropout=0.1)
    for model in (head, whole):
        assert isinstance(model, TaskLayers)
        assert (model.num_classes, model.hidden_units, model.dropout) == (5, 8, 0.1)
        assert model.model is None
    # Same layers in both: the head's Dense sizes equal those on top of the base.
    head_sizes = [layer.units for layer in head.build(64).layers if hasattr(layer, "units")]
    model = whole.add_task_specific_layers()
    whole_sizes = [layer.units for layer in model.layers if hasattr(layer, "units")]
    assert head_sizes == whole_sizes == [8, 5]


@pytest.mark.parametrize(
    "make",
    [
        lambda n: TaskSpecificModel(n),
        lambda n: TaskLayers(n, hidden_units=0, dropout=0.0, name="t"),
    ],
)
def test_task_layers_validate_num_classes_once_for_both(make):
    with pytest.raises(ValueError, match="num_classes"):
        make(1)
    with pytest.raises(TypeError, match="num_classes must be an int"):
        make(2.5)


# -- top_classes: what the widget shows ----------------------------------------------------------
def test_top_classes_ranks_one_row_best_first():
    row = np.array([0.1, 0.5, 0.05, 0.3, 0.05])
    ranked = top_classes(row, TARGET_CLASSES, k=3)
    assert [name for name, _ in ranked] == ["letter_T", "hexagon", "letter_L"]
    assert [p for _, p in ranked] == pytest.approx([0.5, 0.3, 0.1])
    assert len(top_classes(row, TARGET_CLASSES, k=10)) == 5


def test_top_classes_refuses_a_batch_or_a_wrong_length():
    with pytest.raises(ValueError, match=r"probabilities\[i\]"):
        top_classes(np.full((2, 5), 0.2), TARGET_CLASSES)
    with pytest.raises(ValueError, match="5 class probabilities"):
        top_classes(np.full(4, 0.25), TARGET_CLASSES)
    with pytest.raises(ValueError, match="k"):
        top_classes(np.full(5, 0.2), TARGET_CLASSES, k=0)


# -- save: the message says what Keras 3 really does ---------------------------------------------
def test_save_refuses_h5_and_says_keras_still_writes_it(tmp_path):
    classifier = ImageClassificationModel(
        PretrainedModel.from_file(), TaskSpecificModel(5, hidden_units=4), TARGET_CLASSES
    )
    with pytest.raises(ValueError, match="still writes legacy '.h5'") as error:
        classifier.save(tmp_path / "model.h5")
    assert "'.weights.h5'" in str(error.value)
    assert not (tmp_path / "model.h5").exists()


# -- network_guard and offline=True --------------------------------------------------------------
def test_network_guard_refuses_and_records_lookups_in_every_thread():
    seen = []
    with network_guard_ctx() as attempts:
        with pytest.raises(OSError, match="network_guard"):
            socket.getaddrinfo("example.org", 443)
        thread = threading.Thread(target=lambda: seen.append(_try_connect("example.net")))
        thread.start()
        thread.join()
    assert attempts == ["example.org", "example.net"] and seen == [False]
    # Restored afterwards: a local lookup works again.
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_offline_true_looks_no_host_up_and_the_default_probe_does(monkeypatch):
    monkeypatch.setattr(applications_module, "_weights_cached", lambda prefix: False)
    with network_guard_ctx() as offline_attempts:
        with pytest.raises(ConnectionError, match="weights=None"):
            PretrainedModel.from_application("MobileNetV2", weights="imagenet", offline=True)
    with network_guard_ctx() as default_attempts:
        with pytest.raises(ConnectionError, match="MobileNetV2"):
            PretrainedModel.from_application("MobileNetV2", weights="imagenet", timeout=2.0)
    assert offline_attempts == []
    assert default_attempts == [applications_module.WEIGHTS_HOST]


def test_weights_cached_knows_the_applications_only(monkeypatch):
    monkeypatch.setattr(
        applications_module, "_weights_cached", lambda prefix: prefix == "mobilenet_v2"
    )
    assert applications_module.weights_cached("MobileNetV2") is True
    assert applications_module.weights_cached("EfficientNetB0") is False
    with pytest.raises(ValueError, match="unknown application"):
        applications_module.weights_cached("ResNet9000")


def network_guard_ctx():
    return applications_module.network_guard()


def _try_connect(host: str) -> bool:
    try:
        socket.create_connection((host, 443), timeout=1).close()
        return True
    except OSError:
        return False
