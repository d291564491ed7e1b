"""The manifest, and what it buys: a damaged checkpoint is detected, named, and skipped.

Unit tests of ``write_manifest``/``verify``, then the manager on each storage: truncate, flip a
byte in, or delete the newest checkpoint's data file, or break its manifest, and
``restore_latest`` must warn naming it and restore the previous one exactly.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import xxhash

from course_utils.checkpoints import (
    CheckpointManager,
    CheckpointPolicy,
    CloudStorage,
    CorruptCheckpointError,
    InMemoryStorage,
    LocalStorage,
)
from course_utils.checkpoints.manifest import MANIFEST, read_manifest, verify, write_manifest

from .conftest import STORAGE_KINDS, make_storage
from .helpers import expected_weight, make_state, set_weights_for_step, three_checkpoints, weights

DATA = "state.data-00000-of-00001"


# ---------------------------------------------------------------------------- unit tests
@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"\x00\x01\x02" * 1000)
    (folder / "b.txt").write_bytes(b"hello")
    return folder


FIELDS = {"step": 1, "epoch": 0, "metrics": {}, "reason": "manual"}


def test_write_manifest_records_size_and_xxh3_128_of_every_other_file(folder):
    manifest = write_manifest(folder, step=7, epoch=0, metrics={"loss": 0.5}, reason="manual")
    on_disk = json.loads((folder / MANIFEST).read_text())
    assert on_disk == manifest
    assert manifest["step"] == 7 and manifest["metrics"] == {"loss": 0.5}
    assert set(manifest["files"]) == {"a.bin", "b.txt"}
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        digest = xxhash.xxh3_128(data).hexdigest()
        assert entry == {"bytes": len(data), "algorithm": "xxh3_128", "digest": digest}
    assert verify(folder, "ckpt-7") == manifest
    # Writing it again (e.g. a retried save) does not list the manifest itself.
    assert MANIFEST not in write_manifest(folder, **FIELDS)["files"]


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda f: (f / "a.bin").write_bytes(b"\x00\x01"), "a.bin has 2 bytes.*truncated"),
        (lambda f: (f / "b.txt").write_bytes(b"hellO"), "b.txt fails its xxh3_128 check"),
        (lambda f: (f / "c.bin").write_bytes(b"stray"), "c.bin not listed in its manifest"),
        (lambda f: (f / "b.txt").unlink(), "b.txt is missing"),
        (lambda f: (f / MANIFEST).unlink(), "no manifest.json"),
        (lambda f: (f / MANIFEST).write_bytes(b'{"format": '), "unreadable"),
        (lambda f: (f / MANIFEST).write_bytes(b"\xff\xfe"), "unreadable"),
        (lambda f: (f / MANIFEST).write_text('{"format": "other/9"}'), "not a course-utils"),
        (lambda f: (f / MANIFEST).write_text("[1, 2]"), "not a course-utils"),
        (
            lambda f: (f / MANIFEST).write_text('{"format": "course-utils-checkpoint/1"}'),
            "lacks step, epoch, metrics, reason, files",
        ),
        (
            lambda f: (f / MANIFEST).write_bytes(
                (f / MANIFEST).read_bytes().replace(b'"step": 1', b'"step": 5')
            ),
            "manifest.json fails its own sha256 check",
        ),
        (
            lambda f: (f / MANIFEST).write_bytes(
                (f / MANIFEST).read_bytes().replace(b'"manifest_sha256"', b'"manifest_sha257"')
            ),
            "lacks manifest_sha256",
        ),
        (
            lambda f: (f / MANIFEST).write_text(json.dumps(_legacy(f, step="1"))),
            "step = '1', expected a int",
        ),
        (
            lambda f: (f / MANIFEST).write_text(
                json.dumps(_legacy(f, files={"a.bin": {"bytes": 1, "algorithm": "md5"}}))
            ),
            "malformed entry for 'a.bin'",
        ),
        (
            lambda f: (f / MANIFEST).write_text(
                json.dumps(_legacy(f, files={"../a.bin": {"bytes": 1, "sha256": "0"}}))
            ),
            "malformed entry for '../a.bin'",
        ),
    ],
    ids=[
        "truncated",
        "flipped",
        "extra-file",
        "deleted",
        "no-manifest",
        "bad-json",
        "bad-utf8",
        "format",
        "list",
        "fields-missing",
        "manifest-flipped",
        "checksum-renamed",
        "legacy-step-not-int",
        "unknown-algorithm",
        "legacy-file-outside",
    ],
)
def test_verify_names_the_checkpoint_and_the_damage(folder, damage, match):
    write_manifest(folder, **FIELDS)
    damage(folder)
    with pytest.raises(CorruptCheckpointError, match=f"ckpt-9: .*{match}"):
        verify(folder, "ckpt-9")


def _legacy(folder, **changes):
    """The manifest in ``folder`` as written before manifest_sha256 existed, with ``changes``."""
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["manifest_sha256"]
    return {**manifest, "format": "course-utils-checkpoint/1", **changes}


def _sha256_era(folder, **changes):
    """The manifest in ``folder`` as format 2 wrote it: a sha256 per file, manifest_sha256."""
    manifest = json.loads((folder / MANIFEST).read_text())
    files = {
        name: {
            "bytes": entry["bytes"],
            "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest(),
        }
        for name, entry in manifest["files"].items()
    }
    manifest = {**manifest, "format": "course-utils-checkpoint/2", "files": files, **changes}
    del manifest["manifest_sha256"]
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return {**manifest, "manifest_sha256": hashlib.sha256(canonical.encode("ascii")).hexdigest()}


def test_a_sha256_manifest_of_format_2_still_verifies_and_catches_damage(folder):
    write_manifest(folder, **FIELDS)
    old = _sha256_era(folder)
    (folder / MANIFEST).write_text(json.dumps(old, indent=1, sort_keys=True))
    manifest = verify(folder, "ckpt-1")
    assert manifest["step"] == 1 and manifest["format"] == "course-utils-checkpoint/2"
    for name, entry in manifest["files"].items():  # read back in today's shape
        assert entry == {
            "bytes": old["files"][name]["bytes"],
            "algorithm": "sha256",
            "digest": old["files"][name]["sha256"],
        }
    (folder / "b.txt").write_bytes(b"hellO")
    with pytest.raises(CorruptCheckpointError, match="b.txt fails its sha256 check"):
        verify(folder, "ckpt-1")
    (folder / "b.txt").write_bytes(b"hello")
    (folder / MANIFEST).write_text(json.dumps({**old, "step": 5}))
    with pytest.raises(CorruptCheckpointError, match="fails its own sha256"):
        verify(folder, "ckpt-1")


def test_the_manifest_checksum_covers_every_field_but_not_the_layout(folder):
    manifest = write_manifest(folder, step=7, epoch=0, metrics={"loss": 0.5}, reason="manual")
    assert manifest["format"] == "course-utils-checkpoint/3"
    assert len(manifest["manifest_sha256"]) == 64
    # Re-indenting or re-ordering the JSON keeps it valid; changing any value does not.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=4))
    assert verify(folder, "ckpt-7") == manifest
    for key, value in [("epoch", 1), ("reason", "other"), ("metrics", {"loss": 0.25})]:
        (folder / MANIFEST).write_text(json.dumps({**manifest, key: value}))
        with pytest.raises(CorruptCheckpointError, match="fails its own sha256"):
            verify(folder, "ckpt-7")


def test_a_manifest_written_before_the_checksum_is_still_read(folder):
    write_manifest(folder, **FIELDS)
    legacy = _legacy(folder, files=_sha256_era(folder)["files"])
    (folder / MANIFEST).write_text(json.dumps(legacy, indent=1, sort_keys=True))
    assert verify(folder, "ckpt-1")["step"] == legacy["step"]
    (folder / "b.txt").write_bytes(b"hellO")  # its files are still checked
    with pytest.raises(CorruptCheckpointError, match="b.txt fails its sha256"):
        verify(folder, "ckpt-1")


def test_corrupt_checkpoint_error_is_a_value_error():
    assert issubclass(CorruptCheckpointError, ValueError)
    with pytest.raises(ValueError):
        read_manifest(b"not json", "x")


# ---------------------------------------------------------------------------- through the manager
def _damage(storage, name: str, filename: str, change) -> None:
    """Apply ``change(bytes) -> bytes | None`` (None deletes) to one stored file."""
    if isinstance(storage, LocalStorage):
        path = storage.root / name / filename
        new = change(path.read_bytes())
        path.unlink() if new is None else path.write_bytes(new)
    elif isinstance(storage, InMemoryStorage):
        new = change(storage.read_file(name, filename))
        if new is None:
            del storage._checkpoints[name][filename]
        else:
            storage.corrupt(name, filename, new)
    elif isinstance(storage, CloudStorage):
        path = f"{storage._root}/{name}/{filename}"
        new = change(storage._fs.cat_file(path))
        storage._fs.rm_file(path) if new is None else storage._fs.pipe_file(path, new)
    else:
        raise TypeError(storage)


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _step_3_reads_7(data: bytes) -> bytes:
    """One flipped bit in the manifest: step 3 becomes step 7 (0x33 -> 0x37)."""
    changed = data.replace(b'"step": 3', b'"step": 7')
    assert sum(a != b for a, b in zip(data, changed, strict=True)) == 1
    return changed


DAMAGES = {
    "truncate-data": (DATA, lambda data: data[: len(data) // 2]),
    "flip-data-byte": (DATA, _flip),
    "delete-data": (DATA, lambda data: None),
    "truncate-index": ("state.index", lambda data: data[:10]),
    "corrupt-manifest": (MANIFEST, lambda data: data[: len(data) // 2]),
    "delete-manifest": (MANIFEST, lambda data: None),
    "manifest-step-3-reads-7": (MANIFEST, _step_3_reads_7),
}


def _assert_weights_of_step(state, step):
    assert int(state.step) == step
    for index, value in enumerate(weights(state)):
        assert (value == expected_weight(value.shape, step, index)).all()


@pytest.mark.parametrize("kind", STORAGE_KINDS)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_restore_latest_skips_a_damaged_checkpoint_with_a_warning(kind, damage, tmp_path):
    storage = make_storage(kind, tmp_path)
    state, manager = three_checkpoints(storage)
    filename, change = DAMAGES[damage]
    _damage(storage, "ckpt-0000000003", filename, change)
    set_weights_for_step(state, 99)  # so that a restore that does nothing is caught

    with pytest.warns(UserWarning, match="checkpoint ckpt-0000000003 is unusable"):
        info = manager.restore_latest()
    assert info.step == 2
    _assert_weights_of_step(state, 2)
    with pytest.raises(CorruptCheckpointError, match="ckpt-0000000003"):
        manager.restore("ckpt-0000000003")

    # After a restart: still skipped with a warning naming it (unreadable manifests are already
    # skipped when the manager lists the checkpoints), still the previous one restored.
    fresh = make_state(5, data=False)
    with pytest.warns(UserWarning, match="ckpt-0000000003"):
        restarted = CheckpointManager(fresh, storage, manager.policy)
        assert restarted.restore_latest().step == 2
    _assert_weights_of_step(fresh, 2)
    with pytest.raises(CorruptCheckpointError, match="ckpt-0000000003"):
        restarted.restore("ckpt-0000000003")


def _rewrite_as_legacy(storage, name: str, **changes) -> None:
    def change(data: bytes) -> bytes:
        manifest = json.loads(data)
        del manifest["manifest_sha256"]
        manifest = {**manifest, "format": "course-utils-checkpoint/1", **changes}
        return json.dumps(manifest, indent=1, sort_keys=True).encode()

    _damage(storage, name, MANIFEST, change)


@pytest.mark.parametrize("kind", STORAGE_KINDS)
def test_legacy_manifests_restore_and_a_lying_one_is_caught_by_the_saved_step(kind, tmp_path):
    storage = make_storage(kind, tmp_path)
    state, manager = three_checkpoints(storage)
    _rewrite_as_legacy(storage, "ckpt-0000000002")
    _rewrite_as_legacy(storage, "ckpt-0000000003", step=7)  # no checksum to catch this one
    set_weights_for_step(state, 99)

    fresh = make_state(5, data=False)
    restarted = CheckpointManager(fresh, storage, manager.policy)
    with pytest.warns(UserWarning, match="ckpt-0000000003 is unusable.*holds step 3.*says 7"):
        info = restarted.restore_latest()
    assert info.step == 2 and info.name == "ckpt-0000000002"
    _assert_weights_of_step(fresh, 2)


def _rewrite_as_sha256_era(storage, name: str) -> None:
    """Rewrite a stored manifest as format 2 wrote it (sha256 per file, re-signed)."""
    with storage.open_checkpoint(name) as folder:
        hashes = {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in folder.iterdir()
            if path.name != MANIFEST
        }

    def change(data: bytes) -> bytes:
        manifest = json.loads(data)
        del manifest["manifest_sha256"]
        files = {
            n: {"bytes": e["bytes"], "sha256": hashes[n]} for n, e in manifest["files"].items()
        }
        manifest = {**manifest, "format": "course-utils-checkpoint/2", "files": files}
        canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        manifest["manifest_sha256"] = hashlib.sha256(canonical.encode("ascii")).hexdigest()
        return json.dumps(manifest, indent=1, sort_keys=True).encode()

    _damage(storage, name, MANIFEST, change)


@pytest.mark.parametrize("kind", STORAGE_KINDS)
def test_sha256_manifests_of_format_2_restore_and_still_catch_damage(kind, tmp_path):
    storage = make_storage(kind, tmp_path)
    state, manager = three_checkpoints(storage)
    for name in ("ckpt-0000000002", "ckpt-0000000003"):
        _rewrite_as_sha256_era(storage, name)
    _damage(storage, "ckpt-0000000003", DATA, _flip)
    set_weights_for_step(state, 99)

    fresh = make_state(5, data=False)
    restarted = CheckpointManager(fresh, storage, manager.policy)
    with pytest.warns(UserWarning, match="ckpt-0000000003 is unusable.*fails its sha256 check"):
        info = restarted.restore_latest()
    assert info.step == 2
    _assert_weights_of_step(fresh, 2)


def test_a_step_mismatch_with_nothing_to_fall_back_to_raises_and_restores_nothing(tmp_path):
    storage = InMemoryStorage()
    state = make_state(0, data=False)
    manager = CheckpointManager(state, storage, CheckpointPolicy(keep_latest=5))
    set_weights_for_step(state, 3)
    manager.save()
    _rewrite_as_legacy(storage, "ckpt-0000000003", epoch=4)
    set_weights_for_step(state, 99)
    with pytest.raises(CorruptCheckpointError, match="holds epoch 0.*says 4"):
        manager.restore("ckpt-0000000003")
    with pytest.warns(UserWarning, match="ckpt-0000000003 is unusable"):
        with pytest.raises(CorruptCheckpointError, match="none of the 1 checkpoints"):
            manager.restore_latest()
    _assert_weights_of_step(state, 99)  # checked before any value was restored


def test_when_every_checkpoint_is_damaged_restore_latest_raises(tmp_path):
    storage = InMemoryStorage()
    state, manager = three_checkpoints(storage)
    for step in (1, 2, 3):
        _damage(storage, f"ckpt-{step:010d}", DATA, _flip)
    with pytest.warns(UserWarning, match="unusable"):
        with pytest.raises(CorruptCheckpointError, match="none of the 3 checkpoints"):
            manager.restore_latest()


def test_restore_latest_on_an_empty_storage_returns_none(tmp_path):
    manager = CheckpointManager(make_state(0, data=False), LocalStorage(tmp_path))
    assert manager.restore_latest() is None
    assert manager.latest is None and manager.checkpoints() == []
