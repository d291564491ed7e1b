"""The Storage contract, run against every implementation, plus the key rules and InMemoryStorage.

The ``storage`` fixture (conftest.py) runs each contract test on ``LocalStorage``,
``InMemoryStorage`` and ``CloudStorage("memory://...")``.
"""

from __future__ import annotations

import pathlib

import pytest

from course_utils.checkpoints import InMemoryStorage, Storage
from course_utils.checkpoints.storage import MAX_KEY_LENGTH, MAX_KEY_PART, check_key

from .conftest import STORAGE_KINDS, make_storage

BAD_KEYS = [
    "../x",
    "a/../../b",
    "a/..",
    "..",
    ".",
    "./a",
    "/abs",
    "/etc/passwd",
    "C:\\x",
    "C:x",
    "c:/x",
    "a\\b",
    "..\\x",
    "\\abs",
    "",
    "a//b",
    "a/",
    "/",
    "s3://bucket/x",
    ".hidden",
    "a b",
]


def _group(tmp_path: pathlib.Path, **files: bytes) -> pathlib.Path:
    folder = tmp_path / f"src-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    return folder


# ---------------------------------------------------------------------------- key rules
@pytest.mark.parametrize("key", ["ckpt-0000000001", "best.json", "a/b.c_d-e", "0", "_x"])
def test_check_key_accepts_safe_relative_names(key):
    assert check_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS)
def test_check_key_refuses_names_that_could_escape_the_root(key):
    with pytest.raises(ValueError, match="storage key"):
        check_key(key)


@pytest.mark.parametrize("key", [None, 3, b"ckpt"])
def test_check_key_refuses_non_strings(key):
    with pytest.raises(TypeError, match="storage key must be a str"):
        check_key(key)


LONGEST_PART = "a" * MAX_KEY_PART
TOO_LONG_KEYS = {
    "part-300": ("a" * 300, "limit is 128 per '/'-separated part"),
    "part-129": ("a" * (MAX_KEY_PART + 1), "129 characters; the limit is 128"),
    "second-part": ("ckpt-1/" + "b" * (MAX_KEY_PART + 1), "limit is 128 per"),
    "whole-key": ("/".join([LONGEST_PART] * 4) + "/x", "517 characters; the limit is 512"),
}


@pytest.mark.parametrize("key", [LONGEST_PART, "/".join([LONGEST_PART] * 3) + "/" + "b" * 125])
def test_check_key_accepts_keys_up_to_the_limits(key):
    assert len(key) <= MAX_KEY_LENGTH == 512 and MAX_KEY_PART == 128
    assert check_key(key) == key


@pytest.mark.parametrize("case", TOO_LONG_KEYS, ids=list(TOO_LONG_KEYS))
def test_check_key_refuses_too_long_keys_and_says_the_limit(case):
    key, message = TOO_LONG_KEYS[case]
    with pytest.raises(ValueError, match=message):
        check_key(key)


@pytest.mark.parametrize("kind", STORAGE_KINDS)
def test_every_storage_applies_the_same_length_rule(kind, tmp_path):
    storage = make_storage(kind, tmp_path)
    longest = LONGEST_PART
    storage.write_checkpoint(longest, _group(tmp_path, **{longest: b"data"}))
    assert storage.list_checkpoints() == [longest]
    assert storage.read_file(longest, longest) == b"data"
    with storage.open_checkpoint(longest) as folder:
        assert (pathlib.Path(folder) / longest).read_bytes() == b"data"
    storage.delete_checkpoint(longest)
    storage.write_record(longest, b"record")  # LocalStorage writes ".<key>.tmp-<hex>" first
    storage.write_record(longest, b"replaced")
    assert storage.read_record(longest) == b"replaced"
    too_long = "a" * 300
    source = _group(tmp_path, **{"a.txt": b"a"})
    calls = {
        "write_checkpoint": lambda: storage.write_checkpoint(too_long, source),
        "read_file": lambda: storage.read_file(too_long, "a.txt"),
        "read_file(filename)": lambda: storage.read_file("ckpt-1", too_long),
        "open_checkpoint": lambda: storage.open_checkpoint(too_long).__enter__(),
        "delete_checkpoint": lambda: storage.delete_checkpoint(too_long),
        "write_record": lambda: storage.write_record(too_long, b"x"),
        "read_record": lambda: storage.read_record(too_long),
    }
    for call_name, call in calls.items():
        with pytest.raises(ValueError, match="limit is 128"):
            call()
            pytest.fail(f"{call_name} accepted a key of 300 characters")
    assert storage.list_checkpoints() == []


def test_check_key_refuses_a_trailing_newline():
    with pytest.raises(ValueError):
        check_key("ckpt\n")


@pytest.mark.parametrize("kind", STORAGE_KINDS)
@pytest.mark.parametrize("key", BAD_KEYS)
def test_every_storage_refuses_bad_keys_in_every_call(kind, key, tmp_path):
    storage = make_storage(kind, tmp_path)
    source = _group(tmp_path, **{"a.txt": b"a"})
    calls = {
        "write_checkpoint": lambda: storage.write_checkpoint(key, source),
        "read_file": lambda: storage.read_file(key, "a.txt"),
        "read_file(filename)": lambda: storage.read_file("ckpt-1", key),
        "open_checkpoint": lambda: storage.open_checkpoint(key).__enter__(),
        "delete_checkpoint": lambda: storage.delete_checkpoint(key),
        "write_record": lambda: storage.write_record(key, b"x"),
        "read_record": lambda: storage.read_record(key),
    }
    for call_name, call in calls.items():
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{call_name} accepted the key {key!r}")
    # Nothing was created anywhere by the refused calls.
    assert storage.list_checkpoints() == []
    if kind == "local":
        outside = sorted(p.name for p in tmp_path.iterdir())
        assert outside == ["ckpts", source.name]


# ---------------------------------------------------------------------------- the contract
def test_storage_is_the_common_interface(storage):
    assert isinstance(storage, Storage)
    assert storage.list_checkpoints() == []


def test_write_list_read_open(storage, tmp_path):
    source = _group(tmp_path, **{"state.index": b"index", "state.data": b"\x00\x01" * 100})
    storage.write_checkpoint("ckpt-0000000002", source)
    storage.write_checkpoint("ckpt-0000000001", _group(tmp_path, **{"f": b"one"}))
    assert storage.list_checkpoints() == ["ckpt-0000000001", "ckpt-0000000002"]
    assert storage.read_file("ckpt-0000000002", "state.index") == b"index"
    with storage.open_checkpoint("ckpt-0000000002") as folder:
        files = {path.name: path.read_bytes() for path in pathlib.Path(folder).iterdir()}
    assert files == {"state.index": b"index", "state.data": b"\x00\x01" * 100}


def test_read_missing_file_or_checkpoint_raises_file_not_found(storage, tmp_path):
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"a"}))
    with pytest.raises(FileNotFoundError):
        storage.read_file("ckpt-1", "missing")
    with pytest.raises(FileNotFoundError):
        storage.read_file("ckpt-2", "a")
    with pytest.raises(FileNotFoundError):
        with storage.open_checkpoint("ckpt-2"):
            pass


def test_writing_an_existing_name_raises_and_keeps_the_original(storage, tmp_path):
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"original"}))
    with pytest.raises(FileExistsError):
        storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"replacement"}))
    assert storage.read_file("ckpt-1", "a") == b"original"
    assert storage.list_checkpoints() == ["ckpt-1"]


def test_delete_removes_from_listing_and_is_idempotent(storage, tmp_path):
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"1"}))
    storage.write_checkpoint("ckpt-2", _group(tmp_path, **{"a": b"2"}))
    storage.delete_checkpoint("ckpt-1")
    assert storage.list_checkpoints() == ["ckpt-2"]
    with pytest.raises(FileNotFoundError):
        storage.read_file("ckpt-1", "a")
    storage.delete_checkpoint("ckpt-1")  # already gone: no error
    storage.delete_checkpoint("never-existed")
    assert storage.list_checkpoints() == ["ckpt-2"]
    # The name can be used again after deletion.
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"again"}))
    assert storage.read_file("ckpt-1", "a") == b"again"


def test_records_create_replace_and_stay_out_of_the_listing(storage):
    assert storage.read_record("best.json") is None
    storage.write_record("best.json", b'{"v": 1}')
    assert storage.read_record("best.json") == b'{"v": 1}'
    storage.write_record("best.json", b'{"v": 2}')
    assert storage.read_record("best.json") == b'{"v": 2}'
    assert storage.list_checkpoints() == []


def test_staging_dir_is_a_fresh_empty_folder(storage):
    with storage.staging_dir() as first, storage.staging_dir() as second:
        assert pathlib.Path(first).is_dir() and list(pathlib.Path(first).iterdir()) == []
        assert first != second
    assert not pathlib.Path(first).exists()


def _leave_uncommitted(storage, name: str, tmp_path: pathlib.Path) -> None:
    """What a write interrupted halfway leaves in each implementation."""
    from course_utils.checkpoints import CloudStorage, LocalStorage

    if isinstance(storage, LocalStorage):  # files staged, never renamed into place
        staged = storage.root / ".staging" / "tmp-interrupted"
        staged.mkdir(parents=True)
        (staged / "a").write_bytes(b"half")
    elif isinstance(storage, CloudStorage):  # files uploaded, marker never written
        storage._fs.pipe_file(f"{storage._root}/{name}/a", b"half")
    else:  # InMemoryStorage: a write that fails leaves nothing behind
        source = _group(tmp_path, a=b"half")
        (source / "b").mkdir()  # unreadable as bytes: the copy fails before the commit
        with pytest.raises(OSError):
            storage.write_checkpoint(name, source)


def test_uncommitted_checkpoints_are_never_listed(storage, tmp_path):
    storage.write_checkpoint("ckpt-1", _group(tmp_path, a=b"done"))
    _leave_uncommitted(storage, "ckpt-2", tmp_path)
    assert storage.list_checkpoints() == ["ckpt-1"]
    with pytest.raises(FileNotFoundError):
        storage.read_file("ckpt-2", "a")
    storage.discard_incomplete()
    assert storage.list_checkpoints() == ["ckpt-1"]
    assert storage.discard_incomplete() == []
    storage.write_checkpoint("ckpt-2", _group(tmp_path, a=b"second try"))
    assert storage.read_file("ckpt-2", "a") == b"second try"


def test_a_fresh_storage_has_nothing_to_discard(storage):
    assert storage.discard_incomplete() == []


# ---------------------------------------------------------------------------- InMemoryStorage
def test_in_memory_storage_copies_bytes_so_the_source_can_change(tmp_path):
    storage = InMemoryStorage()
    source = _group(tmp_path, **{"a": b"before"})
    storage.write_checkpoint("ckpt-1", source)
    (source / "a").write_bytes(b"after")
    assert storage.read_file("ckpt-1", "a") == b"before"
    with storage.open_checkpoint("ckpt-1") as folder:
        (folder / "a").write_bytes(b"edited copy")
    assert storage.read_file("ckpt-1", "a") == b"before"


def test_in_memory_storage_counts_bytes_and_enforces_its_bound(tmp_path):
    storage = InMemoryStorage(max_checkpoints=2)
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"x" * 10}))
    storage.write_checkpoint("ckpt-2", _group(tmp_path, **{"a": b"y" * 5, "b": b"z"}))
    assert storage.nbytes() == 16
    assert "2 checkpoints" in repr(storage)
    with pytest.raises(ValueError, match="full"):
        storage.write_checkpoint("ckpt-3", _group(tmp_path, **{"a": b"w"}))
    assert storage.list_checkpoints() == ["ckpt-1", "ckpt-2"]
    storage.delete_checkpoint("ckpt-1")
    storage.write_checkpoint("ckpt-3", _group(tmp_path, **{"a": b"w"}))
    assert storage.list_checkpoints() == ["ckpt-2", "ckpt-3"]


@pytest.mark.parametrize(
    ("bad", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_in_memory_storage_refuses_a_bad_bound(bad, error):
    with pytest.raises(error, match="max_checkpoints"):
        InMemoryStorage(max_checkpoints=bad)


def test_in_memory_corrupt_replaces_one_file(tmp_path):
    storage = InMemoryStorage()
    storage.write_checkpoint("ckpt-1", _group(tmp_path, **{"a": b"good", "b": b"other"}))
    storage.corrupt("ckpt-1", "a", b"bad")
    assert storage.read_file("ckpt-1", "a") == b"bad"
    assert storage.read_file("ckpt-1", "b") == b"other"
