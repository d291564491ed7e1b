"""LocalStorage: a save interrupted at any stage leaves the previous latest intact and restorable.

Each stage of a save is made to raise in turn (the state write, the manifest, the fsync, the
rename, the whole publish, the best record); afterwards the storage must still list exactly the
committed checkpoints, and a new manager must restore the previous latest, bit for bit.
"""

from __future__ import annotations

import json
import os

import pytest

from course_utils.checkpoints import CheckpointManager, CheckpointPolicy, LocalStorage
from course_utils.checkpoints import local_storage as local_storage_module
from course_utils.checkpoints import records as records_module

from .helpers import expected_weight, make_state, set_weights_for_step, weights


class InjectedFailure(OSError):
    """The fault the tests inject (an OSError, like a full disk)."""


def _boom(*args, **kwargs):
    raise InjectedFailure("injected failure")


def _names(*steps: int) -> list[str]:
    return [f"ckpt-{step:010d}" for step in steps]


def _saved_run(root, policy=None):
    """A LocalStorage with checkpoints at steps 1 and 2 (loss 1.0, 0.5); returns its parts."""
    state = make_state(0, data=False)
    storage = LocalStorage(root)
    policy = policy or CheckpointPolicy(monitor="loss", keep_latest=2)
    manager = CheckpointManager(state, storage, policy)
    for step, loss in ((1, 1.0), (2, 0.5)):
        set_weights_for_step(state, step)
        manager.save({"loss": loss})
    return state, storage, manager


def _patch_stage(stage, monkeypatch, state, storage):
    if stage == "state.write":
        monkeypatch.setattr(state, "write", _boom)
    elif stage == "write_manifest":
        monkeypatch.setattr(records_module, "write_manifest", _boom)
    elif stage == "_fsync_path":
        real_fsync = local_storage_module._fsync_path

        def fsync(path):  # the staged folder's fsync, just before the rename
            if path.is_dir() and path.parent.name == ".staging":
                raise InjectedFailure("injected failure in fsync")
            return real_fsync(path)

        monkeypatch.setattr(local_storage_module, "_fsync_path", fsync)
    elif stage == "os.rename":
        real_rename = os.rename

        def rename(source, target, *args, **kwargs):
            if os.path.dirname(os.fspath(target)) == os.fspath(storage.root):
                raise InjectedFailure("injected failure in rename")
            return real_rename(source, target, *args, **kwargs)

        monkeypatch.setattr(local_storage_module.os, "rename", rename)
    elif stage == "storage.write_checkpoint":
        monkeypatch.setattr(storage, "write_checkpoint", _boom)
    elif stage == "write_record":
        monkeypatch.setattr(storage, "write_record", _boom)
    else:
        raise ValueError(stage)


STAGES_BEFORE_COMMIT = [
    "state.write",
    "write_manifest",
    "_fsync_path",
    "os.rename",
    "storage.write_checkpoint",
]


@pytest.mark.parametrize("stage", [*STAGES_BEFORE_COMMIT, "write_record"])
def test_a_save_failing_at_any_stage_keeps_the_previous_latest(stage, tmp_path, monkeypatch):
    root = tmp_path / "ckpts"
    state, storage, manager = _saved_run(root)
    set_weights_for_step(state, 3)
    with monkeypatch.context() as patch:
        _patch_stage(stage, patch, state, storage)
        with pytest.raises(InjectedFailure):
            manager.save({"loss": 0.1})

    committed = stage == "write_record"  # the checkpoint landed; only the record failed
    expected = _names(1, 2, 3) if committed else _names(1, 2)
    assert storage.list_checkpoints() == expected, "old checkpoints are deleted only at the end"
    visible = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert visible == sorted([*expected, "best.json"])
    assert list((root / ".staging").iterdir()) == [], "the staging folder was cleaned"
    # The best record still names a checkpoint that exists: the previous best.
    assert json.loads(storage.read_record("best.json"))["name"] == _names(2)[0]

    # A new process (new state, new manager) restores the latest committed checkpoint exactly.
    fresh = make_state(7, data=False)
    restarted = CheckpointManager(fresh, LocalStorage(root), manager.policy)
    info = restarted.restore_latest()
    latest_step = 3 if committed else 2
    assert info.step == latest_step and int(fresh.step) == latest_step
    for index, value in enumerate(weights(fresh)):
        assert (value == expected_weight(value.shape, latest_step, index)).all()
    # And the previous latest is still restorable by name.
    info = restarted.restore(_names(2)[0])
    assert int(fresh.step) == 2
    for index, value in enumerate(weights(fresh)):
        assert (value == expected_weight(value.shape, 2, index)).all()


def test_a_failed_save_can_be_retried_at_the_same_step(tmp_path, monkeypatch):
    state, storage, manager = _saved_run(tmp_path / "ckpts")
    set_weights_for_step(state, 3)
    with monkeypatch.context() as patch:
        _patch_stage("os.rename", patch, state, storage)
        with pytest.raises(InjectedFailure):
            manager.save({"loss": 0.1})
    info = manager.save({"loss": 0.1})
    assert info.step == 3
    assert storage.list_checkpoints() == _names(2, 3)  # keep_latest=2 deleted step 1 after


def test_leftovers_of_a_crashed_write_are_discarded_with_a_warning(tmp_path):
    root = tmp_path / "ckpts"
    state, storage, manager = _saved_run(root)
    # What a process killed mid-save leaves behind: a staging folder, a half-deleted
    # checkpoint, a temporary best record.
    (root / ".staging" / "tmp-deadbeef").mkdir(parents=True)
    (root / ".staging" / "tmp-deadbeef" / "state.index").write_bytes(b"half")
    (root / ".staging" / "del-cafe").mkdir()
    (root / ".best.json.tmp-0123").write_bytes(b'{"name": "ckpt-00')
    assert storage.list_checkpoints() == _names(1, 2), "leftovers are never listed"

    with pytest.warns(UserWarning, match="incomplete checkpoint write") as caught:
        restarted = CheckpointManager(make_state(3, data=False), LocalStorage(root), manager.policy)
    messages = " ".join(str(w.message) for w in caught)
    assert "tmp-deadbeef" in messages and "del-cafe" in messages and ".best.json.tmp" in messages
    assert list((root / ".staging").iterdir()) == []
    assert not (root / ".best.json.tmp-0123").exists()
    assert restarted.restore_latest().step == 2
    assert LocalStorage(root).discard_incomplete() == []


def test_write_from_an_outside_folder_copies_and_from_staging_moves(tmp_path):
    storage = LocalStorage(tmp_path / "ckpts")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a").write_bytes(b"a")
    storage.write_checkpoint("ckpt-1", outside)
    assert (outside / "a").read_bytes() == b"a", "an outside source folder is left alone"
    with storage.staging_dir() as staged:
        assert staged.parent == storage.root / ".staging"
        (staged / "b").write_bytes(b"b")
        storage.write_checkpoint("ckpt-2", staged)
        assert not staged.exists(), "a staged folder is published by a rename"
    assert storage.read_file("ckpt-2", "b") == b"b"
    assert storage.list_checkpoints() == ["ckpt-1", "ckpt-2"]


def test_delete_leaves_the_listing_before_any_file_goes(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path / "ckpts")
    source = tmp_path / "src"
    source.mkdir()
    (source / "a").write_bytes(b"a")
    storage.write_checkpoint("ckpt-1", source)
    # A crash right after the first step of the deletion: the file removal never happens.
    monkeypatch.setattr(local_storage_module.shutil, "rmtree", lambda *a, **k: None)
    storage.delete_checkpoint("ckpt-1")
    monkeypatch.undo()
    assert storage.list_checkpoints() == []
    assert not (storage.root / "ckpt-1").exists()
    removed = storage.discard_incomplete()
    assert len(removed) == 1 and "del-" in removed[0]


def test_listing_ignores_hidden_entries_and_files(tmp_path):
    storage = LocalStorage(tmp_path / "ckpts")
    (storage.root / ".staging").mkdir()
    (storage.root / ".cache").mkdir()
    (storage.root / "best.json").write_bytes(b"{}")
    (storage.root / "ckpt-1").mkdir()
    assert storage.list_checkpoints() == ["ckpt-1"]


def test_root_must_be_a_folder_and_is_created(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match="not a folder"):
        LocalStorage(a_file)
    nested = tmp_path / "a" / "b" / "c"
    storage = LocalStorage(nested)
    assert nested.is_dir() and "a/b/c" in repr(storage)


def test_non_durable_storage_does_not_fsync(tmp_path, monkeypatch):
    monkeypatch.setattr(local_storage_module, "_fsync_path", _boom)
    storage = LocalStorage(tmp_path / "ckpts", durable=False)
    source = tmp_path / "src"
    source.mkdir()
    (source / "a").write_bytes(b"a")
    storage.write_checkpoint("ckpt-1", source)
    storage.write_record("best.json", b"{}")
    assert storage.list_checkpoints() == ["ckpt-1"]
    durable = LocalStorage(tmp_path / "other")
    with pytest.raises(InjectedFailure):
        durable.write_checkpoint("ckpt-1", source)
    assert durable.list_checkpoints() == []
