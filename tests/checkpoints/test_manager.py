"""CheckpointManager: naming, keep policies, best-so-far across restarts, write order, async."""

from __future__ import annotations

import json
import threading
import time
import types

import pytest

from course_utils.checkpoints import (
    CheckpointManager,
    CheckpointPolicy,
    CheckpointSaveError,
    InMemoryStorage,
    LocalStorage,
)
from course_utils.checkpoints import manager as manager_module

from .helpers import expected_weight, make_state, same_weights, set_weights_for_step, weights


def _name(step: int) -> str:
    return f"ckpt-{step:010d}"


def _assert_weights_of_step(state, step):
    assert int(state.step) == step
    for index, value in enumerate(weights(state)):
        assert (value == expected_weight(value.shape, step, index)).all()


class SpyStorage(InMemoryStorage):
    """An InMemoryStorage that records the order of the calls that change it."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def write_checkpoint(self, name, source_dir):
        super().write_checkpoint(name, source_dir)
        self.calls.append(("write", name))

    def delete_checkpoint(self, name):
        self.calls.append(("delete", name))
        super().delete_checkpoint(name)

    def write_record(self, key, data):
        super().write_record(key, data)
        self.calls.append(("record", json.loads(data)["name"]))


def _boom(*args, **kwargs):
    raise OSError("injected failure")


# ---------------------------------------------------------------------------- basics
def test_constructor_checks_types(tmp_path):
    with pytest.raises(TypeError, match="ModelState"):
        CheckpointManager(object(), InMemoryStorage())
    with pytest.raises(TypeError, match="Storage"):
        CheckpointManager(make_state(0, data=False), str(tmp_path))


def test_save_records_step_epoch_metrics_and_reason():
    state = make_state(0, data=False)
    manager = CheckpointManager(state, InMemoryStorage())
    state.step.assign(12)
    state.epoch.assign(3)
    info = manager.save({"loss": 0.25}, reason="manual")
    assert (info.name, info.step, info.epoch) == (_name(12), 12, 3)
    assert info.metrics == {"loss": 0.25} and info.reason == "manual"
    assert manager.latest == info and manager.checkpoints() == [info]
    # A new manager reads the same facts back from the manifest.
    assert CheckpointManager(make_state(1, data=False), manager.storage).latest == info


def test_saving_an_existing_step_is_refused_even_after_a_restart(tmp_path):
    state = make_state(0, data=False)
    storage = LocalStorage(tmp_path)
    manager = CheckpointManager(state, storage)
    set_weights_for_step(state, 5)
    manager.save()
    state.model.weights[0].assign(state.model.weights[0] * 0)
    with pytest.raises(ValueError, match="step 5 already exists"):
        manager.save()
    restarted = CheckpointManager(make_state(1, data=False), storage)
    restarted.state.step.assign(5)
    with pytest.raises(ValueError, match="refusing to overwrite"):
        restarted.save()
    restarted.restore(_name(5))
    _assert_weights_of_step(restarted.state, 5)  # the first save's weights, untouched


def test_a_prefix_that_cannot_name_checkpoints_is_refused_before_any_save():
    state = make_state(0, data=False)
    longest = "p" * (128 - len("-0000000000"))  # the name's part is then exactly 128 long
    CheckpointManager(state, InMemoryStorage(), prefix=longest).save()
    for bad in (longest + "p", "runs/a", "", "../x"):
        with pytest.raises(ValueError, match="cannot name checkpoints"):
            CheckpointManager(state, InMemoryStorage(), prefix=bad)
    with pytest.raises(TypeError, match="prefix must be a str"):
        CheckpointManager(state, InMemoryStorage(), prefix=3)


def test_checkpoints_with_another_prefix_are_ignored():
    storage = InMemoryStorage()
    state = make_state(0, data=False)
    CheckpointManager(state, storage, prefix="other").save()
    manager = CheckpointManager(state, storage)
    assert manager.checkpoints() == [] and manager.restore_latest() is None


def test_refresh_sees_what_another_manager_wrote():
    storage = InMemoryStorage()
    reader = CheckpointManager(make_state(1, data=False), storage)
    writer_state = make_state(0, data=False)
    writer = CheckpointManager(writer_state, storage, CheckpointPolicy(monitor="loss"))
    set_weights_for_step(writer_state, 4)
    writer.save({"loss": 1.0})
    assert reader.checkpoints() == [] and reader.best is None
    reader.refresh()
    assert [info.step for info in reader.checkpoints()] == [4]
    assert reader.best["name"] == _name(4)


# ---------------------------------------------------------------------------- keep policies
def test_keep_latest_on_the_folder_contents(tmp_path):
    state = make_state(0, data=False)
    manager = CheckpointManager(state, LocalStorage(tmp_path), CheckpointPolicy(keep_latest=2))
    for step in range(1, 6):
        set_weights_for_step(state, step)
        manager.save()
        kept = sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and p.name[0] != ".")
        assert kept == [_name(s) for s in range(max(1, step - 1), step + 1)]
    assert [info.step for info in manager.checkpoints()] == [4, 5]


def test_keep_best_and_latest_on_the_folder_contents(tmp_path):
    state = make_state(0, data=False)
    policy = CheckpointPolicy(monitor="val_loss", keep_latest=2, keep_best=1)
    manager = CheckpointManager(state, LocalStorage(tmp_path), policy)
    for step, loss in enumerate([0.9, 0.4, 0.6, float("nan"), 0.8, 0.7], start=1):
        set_weights_for_step(state, step)
        manager.save({"val_loss": loss})
    folders = sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and p.name[0] != ".")
    assert folders == [_name(2), _name(5), _name(6)]
    assert manager.best == {"name": _name(2), "step": 2, "monitor": "val_loss", "value": 0.4}
    assert json.loads((tmp_path / "best.json").read_text())["name"] == _name(2)


def test_write_new_commit_then_delete_old():
    storage = SpyStorage()
    state = make_state(0, data=False)
    policy = CheckpointPolicy(monitor="loss", keep_latest=1)
    manager = CheckpointManager(state, storage, policy)
    for step, loss in ((1, 0.5), (2, 0.4)):
        state.step.assign(step)
        manager.save({"loss": loss})
    assert storage.calls == [
        ("write", _name(1)),
        ("record", _name(1)),
        ("write", _name(2)),
        ("record", _name(2)),
        ("delete", _name(1)),
    ]
    # With a failing write, nothing is deleted: the old checkpoint is still there.
    state.step.assign(3)
    storage.write_checkpoint = _boom
    with pytest.raises(OSError, match="injected"):
        manager.save({"loss": 0.3})
    assert storage.list_checkpoints() == [_name(2)]
    assert storage.calls[-1] == ("delete", _name(1))


# ---------------------------------------------------------------------------- best record
def test_best_survives_a_restart_and_a_worse_value_is_not_an_improvement(tmp_path):
    """keras-team/keras#17012: after a restart, keep-best forgot its best and saved a worse one."""
    policy = CheckpointPolicy(
        monitor="val_loss", save_on_improvement=True, keep_latest=1, keep_best=1
    )
    state = make_state(0, data=False)
    manager = CheckpointManager(state, LocalStorage(tmp_path), policy)
    for step, loss in ((1, 0.9), (2, 0.3), (3, 0.6)):
        set_weights_for_step(state, step)
        manager.save({"val_loss": loss})

    fresh = make_state(1, data=False)
    restarted = CheckpointManager(fresh, LocalStorage(tmp_path), policy)
    assert restarted.best == {"name": _name(2), "step": 2, "monitor": "val_loss", "value": 0.3}
    fresh.step.assign(4)
    assert restarted.maybe_save({"val_loss": 0.5}) is None, "0.5 is worse than the best 0.3"
    restarted.save({"val_loss": 0.5})
    assert restarted.best["name"] == _name(2)
    assert json.loads((tmp_path / "best.json").read_text())["value"] == 0.3
    assert restarted.restore_best().step == 2
    _assert_weights_of_step(fresh, 2)
    fresh.step.assign(5)
    assert restarted.maybe_save({"val_loss": 0.2}).reason == "improvement"
    assert restarted.best["name"] == _name(5)


def test_nan_is_never_recorded_as_best():
    state = make_state(0, data=False)
    manager = CheckpointManager(state, InMemoryStorage(), CheckpointPolicy(monitor="loss"))
    state.step.assign(1)
    manager.save({"loss": float("nan")})
    assert manager.best is None
    state.step.assign(2)
    manager.save({"loss": 3.0})
    state.step.assign(3)
    manager.save({"loss": float("nan")})
    assert manager.best["name"] == _name(2)


def test_restore_best_errors():
    state = make_state(0, data=False)
    manager = CheckpointManager(state, InMemoryStorage(), CheckpointPolicy(keep_latest=1))
    with pytest.raises(ValueError, match="no best"):
        manager.restore_best()
    policy = CheckpointPolicy(monitor="loss", keep_latest=1)  # keep_best=0: best may go
    manager = CheckpointManager(state, InMemoryStorage(), policy)
    for step, loss in ((1, 0.1), (2, 0.5)):
        state.step.assign(step)
        manager.save({"loss": loss})
    with pytest.raises(FileNotFoundError, match="keep_best"):
        manager.restore_best()


def test_a_failed_sync_save_does_not_change_the_best():
    storage = InMemoryStorage()
    state = make_state(0, data=False)
    manager = CheckpointManager(state, storage, CheckpointPolicy(monitor="loss"))
    set_weights_for_step(state, 1)
    manager.save({"loss": 1.0})
    set_weights_for_step(state, 2)
    storage.write_checkpoint = _boom
    with pytest.raises(OSError):
        manager.save({"loss": 0.5})
    assert json.loads(storage.read_record("best.json"))["name"] == _name(1)
    assert manager.best["name"] == _name(1)


def test_keep_best_never_deletes_the_checkpoint_named_by_the_best_record():
    state = make_state(0, data=False)
    policy = CheckpointPolicy(monitor="loss", min_delta=0.1, keep_latest=1, keep_best=1)
    manager = CheckpointManager(state, InMemoryStorage(), policy)
    for step, loss in ((1, 1.0), (2, 0.95), (3, 2.0)):
        set_weights_for_step(state, step)
        manager.save({"loss": loss})
    assert manager.best["name"] == _name(1)
    assert manager.restore_best().step == 1


def test_best_is_not_forgotten_when_the_record_write_is_lost(tmp_path):
    policy = CheckpointPolicy(monitor="loss", save_on_improvement=True, keep_latest=3)
    state = make_state(0, data=False)
    storage = LocalStorage(tmp_path)
    manager = CheckpointManager(state, storage, policy)
    set_weights_for_step(state, 1)
    manager.save({"loss": 0.5})
    set_weights_for_step(state, 2)
    storage.write_record = _boom  # the process dies after the commit, before best.json
    with pytest.raises(OSError):
        manager.save({"loss": 0.1})
    assert storage.list_checkpoints() == [_name(1), _name(2)]

    restarted = CheckpointManager(make_state(1, data=False), LocalStorage(tmp_path), policy)
    restarted.state.step.assign(3)
    assert restarted.maybe_save({"loss": 0.3}) is None, "0.3 is worse than the committed 0.1"
    assert restarted.best["name"] == _name(2)


# ---------------------------------------------------------------------------- when to save
def test_maybe_save_every_n_seconds_with_an_injected_clock(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(manager_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    state = make_state(0, data=False)
    manager = CheckpointManager(state, InMemoryStorage(), CheckpointPolicy(every_n_seconds=60))
    saved = []
    for step in range(1, 11):
        state.step.assign(step)
        clock[0] += 25.0  # 25 s per step: a save every third step (75 s >= 60 s)
        info = manager.maybe_save()
        if info is not None:
            assert info.reason == "every_n_seconds"
            saved.append(step)
    assert saved == [3, 6, 9]


def test_maybe_save_every_n_steps():
    state = make_state(0, data=False)
    manager = CheckpointManager(
        state, InMemoryStorage(), CheckpointPolicy(every_n_steps=4, keep_latest=None)
    )
    for step in range(0, 13):
        state.step.assign(step)
        manager.maybe_save({"loss": 1.0})
    assert [info.step for info in manager.checkpoints()] == [4, 8, 12]


# ---------------------------------------------------------------------------- async
def _slow(storage, seconds=0.3):
    real = storage.write_checkpoint

    def write_checkpoint(name, source_dir):
        time.sleep(seconds)
        real(name, source_dir)

    storage.write_checkpoint = write_checkpoint


def test_async_save_gives_the_same_checkpoint_as_sync(tmp_path):
    state = make_state(0)
    sync_storage, async_storage = InMemoryStorage(), LocalStorage(tmp_path)
    gate = threading.Event()  # holds the background write until the test has looked
    real_write = async_storage.write_checkpoint

    def gated_write(name, source_dir):
        assert gate.wait(timeout=60)
        real_write(name, source_dir)

    async_storage.write_checkpoint = gated_write
    with CheckpointManager(state, async_storage, async_save=True) as async_manager:
        sync_manager = CheckpointManager(state, sync_storage)
        set_weights_for_step(state, 7)
        next(state.iterator)
        state.rng.normal([3])
        sync_manager.save({"loss": 1.0})
        async_manager.save({"loss": 1.0})  # returns although the write cannot finish yet
        # Training goes on while the write is in flight: the snapshot must not see this.
        set_weights_for_step(state, 8)
        next(state.iterator)
        assert async_storage.list_checkpoints() == []
        gate.set()
        async_manager.wait()
    assert async_storage.list_checkpoints() == [_name(7)]

    restored = []
    for storage in (sync_storage, async_storage):
        fresh = make_state(3)
        CheckpointManager(fresh, storage).restore_latest()
        _assert_weights_of_step(fresh, 7)
        restored.append(
            (weights(fresh), next(fresh.iterator)[0].numpy(), fresh.rng.normal([3]).numpy())
        )
    (w1, batch1, noise1), (w2, batch2, noise2) = restored
    assert same_weights(w1, w2)
    assert same_weights([batch1, noise1], [batch2, noise2])


@pytest.mark.parametrize("surfaces_at", ["next save", "wait", "close"])
def test_a_failed_background_save_surfaces_and_keeps_the_previous_latest(surfaces_at, tmp_path):
    storage = LocalStorage(tmp_path)
    state = make_state(0, data=False)
    policy = CheckpointPolicy(monitor="loss", keep_latest=1)
    manager = CheckpointManager(state, storage, policy, async_save=True)
    set_weights_for_step(state, 1)
    manager.save({"loss": 1.0})
    manager.wait()
    real_write = storage.write_checkpoint
    storage.write_checkpoint = _boom
    set_weights_for_step(state, 2)
    manager.save({"loss": 0.5})  # returns at once; the write fails in the background
    with pytest.raises(CheckpointSaveError, match=_name(2)):
        if surfaces_at == "next save":
            set_weights_for_step(state, 3)
            manager.save({"loss": 0.4})
        elif surfaces_at == "wait":
            manager.wait()
        else:
            manager.close()
    storage.write_checkpoint = real_write
    # The previous latest is intact, and "best" does not name the checkpoint that never landed.
    assert storage.list_checkpoints() == [_name(1)]
    assert manager.best["name"] == _name(1)
    assert json.loads(storage.read_record("best.json"))["name"] == _name(1)
    fresh = make_state(5, data=False)
    restarted = CheckpointManager(fresh, storage, policy)
    assert restarted.restore_latest().step == 1 and restarted.restore_best().step == 1
    _assert_weights_of_step(fresh, 1)
    if surfaces_at != "close":  # the manager keeps working after the error
        set_weights_for_step(state, 4)
        manager.save({"loss": 0.2})
        manager.close()
        assert storage.list_checkpoints() == [_name(4)]
        assert manager.best["name"] == _name(4)


def test_async_saves_commit_in_order_off_the_training_thread(monkeypatch):
    storage = SpyStorage()
    _slow(storage, 0.05)
    state = make_state(0, data=False)
    threads = []
    real_commit = CheckpointManager._commit

    def commit(self, *args, **kwargs):
        threads.append(threading.current_thread())
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(CheckpointManager, "_commit", commit)
    with CheckpointManager(state, storage, CheckpointPolicy(keep_latest=2), async_save=True) as m:
        for step in range(1, 5):
            set_weights_for_step(state, step)
            m.save()
    assert threads and threading.main_thread() not in threads
    assert storage.calls == [
        ("write", _name(1)),
        ("write", _name(2)),
        ("write", _name(3)),
        ("delete", _name(1)),
        ("write", _name(4)),
        ("delete", _name(2)),
    ]
    for step in (3, 4):
        fresh = make_state(2, data=False)
        CheckpointManager(fresh, storage).restore(_name(step))
        _assert_weights_of_step(fresh, step)


def test_an_unreadable_best_record_is_rebuilt_from_the_manifests():
    storage = InMemoryStorage()
    state = make_state(0, data=False)
    policy = CheckpointPolicy(monitor="loss")
    manager = CheckpointManager(state, storage, policy)
    for step, loss in ((1, 0.7), (2, 0.4), (3, 0.9)):
        set_weights_for_step(state, step)
        manager.save({"loss": loss})
    storage.write_record("best.json", b'{"name": "ckpt-')  # damaged by hand
    with pytest.warns(UserWarning, match="unreadable best.json"):
        restarted = CheckpointManager(state, storage, policy)
    assert restarted.best["name"] == _name(2)
    assert json.loads(storage.read_record("best.json"))["value"] == 0.4
