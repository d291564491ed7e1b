"""LocalStorage(compression="zstd"): checksums cover the stored bytes, every damage is caught.

The manager-level damage matrix of test_manifest.py runs again on compressed storage (the data
file is stored compressed, so a flipped or truncated byte hits the compressed bytes), plus: an
extra file, a bad encoding, mixed settings, no half-written files after an error, bad arguments,
and the trade-off table for notebook 01.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
import zstandard

from course_utils.checkpoints import (
    CheckpointManager,
    CheckpointPolicy,
    CloudStorage,
    CorruptCheckpointError,
    InMemoryStorage,
    LocalStorage,
    ModelState,
)
from course_utils.checkpoints import compression as compression_module
from course_utils.checkpoints.compression import check_compression, decode_file, encode_file
from course_utils.checkpoints.manifest import MANIFEST
from course_utils.checkpoints.tradeoff import CompressionRow, compression_tradeoff, format_tradeoff

from .helpers import build_model, make_state, set_weights_for_step, three_checkpoints
from .test_manifest import DAMAGES, DATA, _assert_weights_of_step, _damage, _flip


def _compressed(tmp_path, **kwargs):
    return LocalStorage(tmp_path / "ckpts", compression="zstd", **kwargs)


def _compressed_kind(kind: str, tmp_path):
    if kind == "local":
        return _compressed(tmp_path)
    return CloudStorage(f"memory://course-utils-tests/{uuid.uuid4().hex}/run", compression="zstd")


COMPRESSING_KINDS = ("local", "cloud")


def _manifest(storage, name):
    return json.loads(storage.read_file(name, MANIFEST))


# ---------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"compression": "gzip"}, ValueError, "compression must be None or one of"),
        ({"compression": "ZSTD"}, ValueError, "compression must be None or one of"),
        ({"compression": 1}, TypeError, "compression must be None or a str"),
        ({"compression": "zstd", "level": 0}, ValueError, "level must be"),
        ({"compression": "zstd", "level": 23}, ValueError, "level must be"),
        ({"compression": "zstd", "level": "3"}, TypeError, "level must be an int"),
        ({"compression": "zstd", "level": 3.0}, TypeError, "level must be an int"),
        ({"compression": "zstd", "level": True}, TypeError, "level must be an int"),
        ({"level": 3}, ValueError, "level=3 needs compression='zstd'"),
        ({"durable": "yes"}, TypeError, "durable must be True or False"),
    ],
)
def test_bad_compression_arguments_raise_naming_the_argument(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        LocalStorage(tmp_path / "ckpts", **kwargs)
    assert not (tmp_path / "ckpts").exists(), "a refused storage creates nothing"
    if "durable" not in kwargs:
        with pytest.raises(error, match=match):
            CloudStorage("memory://course-utils-tests/refused", **kwargs)


def test_compression_is_off_by_default_and_zstd_defaults_to_level_3(tmp_path):
    assert check_compression(None, None) == (None, None)
    assert LocalStorage(tmp_path / "a").compression is None
    storage = _compressed(tmp_path)
    assert (storage.compression, storage.level) == ("zstd", 3)
    assert "compression='zstd', level=3" in repr(storage)
    assert _compressed(tmp_path, level=19).level == 19
    cloud = CloudStorage("memory://course-utils-tests/x", compression="zstd", level=1)
    assert "compression='zstd', level=1" in repr(cloud)
    assert CloudStorage("memory://course-utils-tests/y").compression is None


@pytest.mark.parametrize("kind", ["memory", "cloud"])
def test_storages_that_copy_bytes_read_each_staged_file_once(kind, tmp_path, monkeypatch):
    """seal reads the state files, hashes them from memory; write_checkpoint reuses the bytes."""
    import pathlib

    storage = (
        InMemoryStorage()
        if kind == "memory"
        else CloudStorage(f"memory://course-utils-tests/{uuid.uuid4().hex}/run")
    )
    state = make_state(0, data=False)
    manager = CheckpointManager(state, storage)
    reads: list[str] = []
    real_read_bytes = pathlib.Path.read_bytes

    def counting(path):
        reads.append(path.name)
        return real_read_bytes(path)

    monkeypatch.setattr(pathlib.Path, "read_bytes", counting)
    set_weights_for_step(state, 1)
    manager.save()
    monkeypatch.undo()
    state_files = [name for name in reads if name != MANIFEST]
    assert (
        sorted(state_files)
        == sorted(set(state_files))
        == ["state.data-00000-of-00001", "state.index"]
    )
    assert reads.count(MANIFEST) == 1
    set_weights_for_step(state, 99)
    assert manager.restore_latest().step == 1
    _assert_weights_of_step(state, 1)


# ---------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("kind", COMPRESSING_KINDS)
def test_a_compressed_checkpoint_stores_fewer_bytes_and_restores_exactly(kind, tmp_path):
    storage = _compressed_kind(kind, tmp_path)
    state, manager = three_checkpoints(storage)
    name = "ckpt-0000000003"
    entry = _manifest(storage, name)["files"][DATA]
    stored = storage.read_file(name, DATA)
    assert entry["stored"]["encoding"] == "zstd" and entry["algorithm"] == "xxh3_128"
    assert len(stored) == entry["stored"]["bytes"] < entry["bytes"]
    assert zstandard.ZstdDecompressor().decompress(stored)[:4] != stored[:4]  # really zstd
    set_weights_for_step(state, 99)
    assert manager.restore_latest().step == 3
    _assert_weights_of_step(state, 3)
    if kind == "local":
        assert list((storage.root / ".staging").iterdir()) == [], "the decoded copy is removed"


def test_settings_can_change_between_runs_the_manifest_says_how_to_read(tmp_path):
    state, _ = three_checkpoints(_compressed(tmp_path))
    plain = LocalStorage(tmp_path / "ckpts")  # same root, compression off now
    fresh = make_state(5, data=False)
    manager = CheckpointManager(fresh, plain, CheckpointPolicy(keep_latest=5))
    set_weights_for_step(fresh, 4)
    manager.save()
    assert "stored" not in _manifest(plain, "ckpt-0000000004")["files"][DATA]
    assert manager.restore("ckpt-0000000003").step == 3
    _assert_weights_of_step(fresh, 3)
    assert manager.restore_latest().step == 4


# ---------------------------------------------------------------------------- damage
@pytest.mark.parametrize("kind", COMPRESSING_KINDS)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_restore_latest_skips_a_damaged_compressed_checkpoint(kind, damage, tmp_path):
    storage = _compressed_kind(kind, tmp_path)
    state, manager = three_checkpoints(storage)
    assert "stored" in _manifest(storage, "ckpt-0000000003")["files"][DATA]  # really compressed
    filename, change = DAMAGES[damage]
    _damage(storage, "ckpt-0000000003", filename, change)
    set_weights_for_step(state, 99)
    with pytest.warns(UserWarning, match="checkpoint ckpt-0000000003 is unusable"):
        assert manager.restore_latest().step == 2
    _assert_weights_of_step(state, 2)
    with pytest.raises(CorruptCheckpointError, match="ckpt-0000000003"):
        manager.restore("ckpt-0000000003")


@pytest.mark.parametrize("kind", COMPRESSING_KINDS)
def test_a_flipped_compressed_byte_fails_the_stored_checksum(kind, tmp_path):
    storage = _compressed_kind(kind, tmp_path)
    _, manager = three_checkpoints(storage)
    _damage(storage, "ckpt-0000000003", DATA, _flip)
    with pytest.raises(CorruptCheckpointError, match="fails its xxh3_128 check of the stored"):
        manager.restore("ckpt-0000000003")


EXTRA = "state.data-00001-of-00002"


@pytest.mark.parametrize("kind", ["local", "local-zstd", "memory", "cloud", "cloud-zstd"])
def test_an_extra_file_in_a_checkpoint_is_refused(kind, tmp_path):
    compression = "zstd" if kind.endswith("-zstd") else None
    if kind.startswith("local"):
        storage = LocalStorage(tmp_path / "ckpts", compression=compression)
    elif kind == "memory":
        storage = InMemoryStorage()
    else:
        url = f"memory://course-utils-tests/{uuid.uuid4().hex}/run"
        storage = CloudStorage(url, compression=compression)
    state, manager = three_checkpoints(storage)
    name = "ckpt-0000000003"
    if isinstance(storage, LocalStorage):
        (storage.root / name / EXTRA).write_bytes(b"foreign")
    elif isinstance(storage, InMemoryStorage):
        storage._checkpoints[name][EXTRA] = b"foreign"
    else:
        storage._fs.pipe_file(f"{storage._root}/{name}/{EXTRA}", b"foreign")
    with pytest.raises(CorruptCheckpointError, match=f"{EXTRA} not listed"):
        manager.restore(name)
    with pytest.warns(UserWarning, match="ckpt-0000000003 is unusable"):
        assert manager.restore_latest().step == 2


def _rewrite_manifest(storage, name, change) -> None:
    """Change the manifest and re-sign it, as a manifest that lies consistently would be."""
    from course_utils.checkpoints.manifest import _content_sha256

    manifest = _manifest(storage, name)
    change(manifest)
    manifest["manifest_sha256"] = _content_sha256(manifest)
    (storage.root / name / MANIFEST).write_text(json.dumps(manifest))


def test_an_unknown_encoding_or_undecodable_bytes_are_refused(tmp_path):
    storage = _compressed(tmp_path)
    _, manager = three_checkpoints(storage)

    def encoding(manifest):
        manifest["files"][DATA]["stored"]["encoding"] = "lz4"

    _rewrite_manifest(storage, "ckpt-0000000003", encoding)
    with pytest.raises(CorruptCheckpointError, match="unknown encoding 'lz4'"):
        manager.restore("ckpt-0000000003")

    source = storage.root / "ckpt-0000000002" / DATA
    garbage = os.urandom(source.stat().st_size)
    source.write_bytes(garbage)  # right size, checksum re-signed: only zstd can tell

    def digest(manifest):
        from course_utils.checksums import Hasher

        hasher = Hasher("xxh3_128")
        hasher.update(garbage)
        manifest["files"][DATA]["stored"]["digest"] = hasher.hexdigest()

    _rewrite_manifest(storage, "ckpt-0000000002", digest)
    with pytest.raises(CorruptCheckpointError, match="does not decompress"):
        manager.restore("ckpt-0000000002")


# ---------------------------------------------------------------------------- errors mid-save
class InjectedFailure(OSError):
    """The fault the tests inject (an OSError, like a full disk)."""


@pytest.mark.parametrize("where", ["compress", "replace", "prepare"])
def test_a_failing_encode_or_flush_leaves_nothing_half_written(where, tmp_path, monkeypatch):
    storage = _compressed(tmp_path) if where != "prepare" else LocalStorage(tmp_path / "ckpts")
    state, manager = three_checkpoints(storage)

    def boom(*args, **kwargs):
        raise InjectedFailure(f"injected failure in {where}")

    if where == "compress":
        monkeypatch.setattr(compression_module.zstandard, "ZstdCompressor", boom)
    elif where == "replace":
        monkeypatch.setattr(compression_module.os, "replace", boom)
    else:
        monkeypatch.setattr(storage, "prepare", boom)
    set_weights_for_step(state, 4)
    with pytest.raises(InjectedFailure):
        manager.save()
    monkeypatch.undo()
    assert storage.list_checkpoints() == [f"ckpt-{s:010d}" for s in (1, 2, 3)]
    assert list((storage.root / ".staging").iterdir()) == []
    assert manager.save().step == 4  # and the retry works


def test_encode_keeps_a_file_raw_when_zstd_cannot_shrink_it(tmp_path):
    path = tmp_path / "random.bin"
    data = os.urandom(10_000)
    path.write_bytes(data)
    entry = encode_file(path, 3, durable=False)
    assert "stored" not in entry and path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["random.bin"]
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert encode_file(empty, 3, durable=False)["bytes"] == 0


def test_decode_refuses_a_missing_or_truncated_stored_file(tmp_path):
    path = tmp_path / "zeros.bin"
    path.write_bytes(bytes(100_000))
    entry = encode_file(path, 1, durable=False)
    with pytest.raises(CorruptCheckpointError, match="x: other.bin is missing"):
        decode_file(tmp_path / "other.bin", tmp_path / "out", entry, "x")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        decode_file(path, tmp_path / "out", entry, "x")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- trade-off
def test_compression_tradeoff_reports_bytes_and_times_per_setting(tmp_path):
    import keras

    model = build_model(0)
    state = ModelState(model, keras.optimizers.Adam())  # Adam slots still zero: they compress
    rows = compression_tradeoff(state, levels=(1, 5), rounds=2, folder=tmp_path)
    assert [row.setting for row in rows] == ["off", "zstd-1", "zstd-5"]
    assert all(isinstance(row, CompressionRow) for row in rows)
    off = rows[0]
    assert off.ratio == 1.0 and off.compression is None
    assert all(row.raw_bytes == off.raw_bytes for row in rows)
    assert all(row.stored_bytes < off.stored_bytes for row in rows[1:])
    assert all(row.save_seconds > 0 and row.restore_seconds > 0 for row in rows)
    assert list(tmp_path.iterdir()) == [], "the scratch folder is removed"
    table = format_tradeoff(rows)
    assert table.splitlines()[0].split() == ["setting", "on", "disk", "ratio", "save", "restore"]
    assert len(table.splitlines()) == 4
    bare = compression_tradeoff(model, levels=(), warmup=False, durable=False)  # a bare model
    assert [row.setting for row in bare] == ["off"] and bare[0].raw_bytes < off.raw_bytes


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("model",), {}, TypeError, "state_or_model must be a ModelState or a keras.Model"),
        ((None,), {"levels": (0,)}, ValueError, "level must be"),
        ((None,), {"rounds": 0}, ValueError, "rounds must be"),
        ((None,), {"durable": 1}, TypeError, "durable must be True or False"),
        ((None,), {"warmup": None}, TypeError, "warmup must be True or False"),
    ],
)
def test_compression_tradeoff_refuses_bad_arguments(args, kwargs, error, match):
    state = ModelState(build_model(0)) if args == (None,) else args[0]
    with pytest.raises(error, match=match):
        compression_tradeoff(state, **kwargs)
