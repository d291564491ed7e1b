"""Async saving's snapshot, with and without TensorFlow's private API (``_tf_compat``).

The private API may change in any TensorFlow release; when it does, async saving must fall back
to the public one and still give the checkpoint a sync save gives.
"""

from __future__ import annotations

import threading

import pytest
from tensorflow.python.checkpoint import checkpoint as tf_checkpoint
from tensorflow.python.checkpoint import functional_saver

from course_utils.checkpoints import CheckpointManager, InMemoryStorage, LocalStorage, _tf_compat
from course_utils.checkpoints import snapshot as snapshot_module

from .helpers import expected_weight, make_state, same_weights, set_weights_for_step, weights


def _changed_signature(*args, **kwargs):
    raise TypeError("MultiDeviceSaver() got an unexpected keyword argument")


def _changed_result(self, object_graph_tensor):
    return {}, None, {}  # three values where four were returned


# Each way an upstream change could break the private API (the public API stays intact).
BREAKAGES = {
    "gather renamed": lambda mp: mp.setattr(_tf_compat, "_GATHER", "_gather_tensors_v2"),
    "gather returns another shape": lambda mp: (
        mp.setattr(
            tf_checkpoint.TrackableSaver, "_course_gather_v2", _changed_result, raising=False
        ),
        mp.setattr(_tf_compat, "_GATHER", "_course_gather_v2"),
    ),
    "saver module moved": lambda mp: mp.setattr(
        _tf_compat, "_SAVER_MODULE", "tensorflow.python.checkpoint.no_such_saver"
    ),
    "saver renamed": lambda mp: mp.setattr(_tf_compat, "_SAVER", "MultiDeviceSaverV2"),
    "saver signature changed": lambda mp: (
        mp.setattr(functional_saver, "_CourseSaverV2", _changed_signature, raising=False),
        mp.setattr(_tf_compat, "_SAVER", "_CourseSaverV2"),
    ),
}


def test_the_private_api_is_there_on_the_pinned_tensorflow():
    # If this fails, TensorFlow changed: async saving still works (fallback), only slower.
    assert _tf_compat.capture(make_state(0).checkpoint) is not None


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_capture_reports_a_changed_private_api_instead_of_raising(breakage, monkeypatch):
    state = make_state(0)
    BREAKAGES[breakage](monkeypatch)
    assert _tf_compat.capture(state.checkpoint) is None


@pytest.mark.parametrize("breakage", [None, *sorted(BREAKAGES)])
def test_async_save_restores_as_a_sync_save_with_or_without_the_private_api(
    breakage, monkeypatch, tmp_path
):
    fallbacks = []
    real_fallback = snapshot_module._ram_snapshot

    def counted_fallback(checkpoint):
        fallbacks.append(checkpoint)
        return real_fallback(checkpoint)

    monkeypatch.setattr(snapshot_module, "_ram_snapshot", counted_fallback)
    state = make_state(0)
    sync_storage, async_storage = InMemoryStorage(), LocalStorage(tmp_path)
    gate = threading.Event()  # holds the background write until training has moved on
    real_write = async_storage.write_checkpoint

    def gated_write(name, source_dir):
        assert gate.wait(timeout=60)
        real_write(name, source_dir)

    async_storage.write_checkpoint = gated_write
    with CheckpointManager(state, async_storage, async_save=True) as async_manager:
        set_weights_for_step(state, 7)
        next(state.iterator)
        state.rng.normal([3])
        CheckpointManager(state, sync_storage).save({"loss": 1.0})
        if breakage is not None:
            BREAKAGES[breakage](monkeypatch)
        async_manager.save({"loss": 1.0})
        set_weights_for_step(state, 8)  # training goes on: the snapshot must not see this
        next(state.iterator)
        gate.set()
        async_manager.wait()
    assert len(fallbacks) == (0 if breakage is None else 1)

    restored = []
    for storage in (sync_storage, async_storage):
        fresh = make_state(3)
        CheckpointManager(fresh, storage).restore_latest()
        assert int(fresh.step) == 7
        for index, value in enumerate(weights(fresh)):
            assert (value == expected_weight(value.shape, 7, index)).all()
        restored.append(
            (weights(fresh), next(fresh.iterator)[0].numpy(), fresh.rng.normal([3]).numpy())
        )
    (w1, batch1, noise1), (w2, batch2, noise2) = restored
    assert same_weights(w1, w2)
    assert same_weights([batch1, noise1], [batch2, noise2])
