"""CloudStorage: commit by a marker object, against fsspec ``memory://`` and a local S3 server.

The S3 tests start moto's S3 server on 127.0.0.1 (conftest.py) and refuse, for their duration,
any connection or name lookup that is not local, so nothing leaves the machine.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from course_utils.checkpoints import CheckpointManager, CheckpointPolicy, CloudStorage
from course_utils.checkpoints.cloud_storage import COMMIT_MARKER

from .helpers import expected_weight, make_state, set_weights_for_step, weights

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _memory_storage() -> CloudStorage:
    return CloudStorage(f"memory://course-utils-tests/{uuid.uuid4().hex}/run")


def _group(tmp_path, **files):
    folder = tmp_path / f"src-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    return folder


# ---------------------------------------------------------------------------- memory://
@pytest.mark.parametrize("url", ["bucket/path", "", None, "/local/folder"])
def test_cloud_storage_needs_a_url(url):
    with pytest.raises(ValueError, match="URL"):
        CloudStorage(url)


def test_a_group_without_its_marker_is_invisible_and_discarded(tmp_path):
    storage = _memory_storage()
    storage.write_checkpoint("ckpt-1", _group(tmp_path, a=b"committed"))
    # A crash mid-upload: the files are there, the marker is not.
    storage._fs.pipe_file(f"{storage._root}/ckpt-2/a", b"half")
    storage._fs.pipe_file(f"{storage._root}/ckpt-2/b", b"uploaded")
    assert storage.list_checkpoints() == ["ckpt-1"]
    with pytest.raises(FileNotFoundError):
        storage.read_file("ckpt-2", "a")
    with pytest.raises(FileNotFoundError):
        with storage.open_checkpoint("ckpt-2"):
            pass
    assert storage.discard_incomplete() == [f"{storage.url}/ckpt-2"]
    assert not storage._fs.exists(f"{storage._root}/ckpt-2")
    assert storage.list_checkpoints() == ["ckpt-1"]
    assert storage.read_file("ckpt-1", "a") == b"committed"
    assert storage.discard_incomplete() == []


def test_an_upload_failing_before_the_marker_commits_nothing(tmp_path, monkeypatch):
    storage = _memory_storage()
    real_pipe = storage._fs.pipe_file

    def pipe_file(path, data, *args, **kwargs):
        if path.endswith(COMMIT_MARKER):
            raise OSError("connection reset")
        return real_pipe(path, data, *args, **kwargs)

    source = _group(tmp_path, a=b"a", b=b"b")
    monkeypatch.setattr(storage._fs, "pipe_file", pipe_file)
    with pytest.raises(OSError, match="connection reset"):
        storage.write_checkpoint("ckpt-1", source)
    monkeypatch.undo()
    assert storage.list_checkpoints() == []
    # The retry may upload over the uncommitted group.
    storage.write_checkpoint("ckpt-1", source)
    assert storage.list_checkpoints() == ["ckpt-1"]
    assert storage.read_file("ckpt-1", "b") == b"b"


def test_delete_removes_the_marker_first(tmp_path, monkeypatch):
    storage = _memory_storage()
    storage.write_checkpoint("ckpt-1", _group(tmp_path, a=b"a"))
    # A crash after the first deletion call: only the marker went.
    monkeypatch.setattr(storage._fs, "rm", lambda *a, **k: None)
    storage.delete_checkpoint("ckpt-1")
    monkeypatch.undo()
    assert storage.list_checkpoints() == []
    assert storage.discard_incomplete() == [f"{storage.url}/ckpt-1"]


def test_open_checkpoint_does_not_hand_out_the_marker(tmp_path):
    storage = _memory_storage()
    storage.write_checkpoint("ckpt-1", _group(tmp_path, a=b"a", b=b"b"))
    with storage.open_checkpoint("ckpt-1") as folder:
        assert sorted(path.name for path in folder.iterdir()) == ["a", "b"]


def test_two_memory_urls_do_not_see_each_other(tmp_path):
    first, second = _memory_storage(), _memory_storage()
    first.write_checkpoint("ckpt-1", _group(tmp_path, a=b"a"))
    assert second.list_checkpoints() == []


# ---------------------------------------------------------------------------- S3 (moto)
@pytest.fixture
def local_network_only(monkeypatch):
    """Fail any connection or DNS lookup to a host that is not this machine; count local ones."""
    connections = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOCAL_HOSTS:
            raise AssertionError(f"network access beyond 127.0.0.1: {address!r}")
        connections.append(address)
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL_HOSTS and host is not None:
            raise AssertionError(f"name lookup of a non-local host: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return connections


def _s3_storage(s3_endpoint, bucket, path="run", **options):
    return CloudStorage(
        f"s3://{bucket}/{path}",
        endpoint_url=s3_endpoint,
        key="testing",
        secret="testing",
        **options,
    )


def _keys(client, bucket):
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_s3_storage_contract(s3_endpoint, s3_bucket, local_network_only, tmp_path):
    client, bucket = s3_bucket
    storage = _s3_storage(s3_endpoint, bucket)
    assert storage.list_checkpoints() == []
    storage.write_checkpoint("ckpt-2", _group(tmp_path, **{"state.index": b"i", "x": b"2"}))
    storage.write_checkpoint("ckpt-1", _group(tmp_path, x=b"1"))
    assert storage.list_checkpoints() == ["ckpt-1", "ckpt-2"]
    assert _keys(client, bucket) == [
        f"run/ckpt-1/{COMMIT_MARKER}",
        "run/ckpt-1/x",
        f"run/ckpt-2/{COMMIT_MARKER}",
        "run/ckpt-2/state.index",
        "run/ckpt-2/x",
    ]
    assert storage.read_file("ckpt-2", "x") == b"2"
    with storage.open_checkpoint("ckpt-2") as folder:
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
            "state.index": b"i",
            "x": b"2",
        }
    with pytest.raises(FileExistsError):
        storage.write_checkpoint("ckpt-1", _group(tmp_path, x=b"other"))
    assert storage.read_file("ckpt-1", "x") == b"1"
    storage.delete_checkpoint("ckpt-1")
    assert storage.list_checkpoints() == ["ckpt-2"]
    assert not any(key.startswith("run/ckpt-1/") for key in _keys(client, bucket))
    assert storage.read_record("best.json") is None
    storage.write_record("best.json", b"{1}")
    storage.write_record("best.json", b"{2}")
    assert storage.read_record("best.json") == b"{2}"
    assert storage.list_checkpoints() == ["ckpt-2"]
    with pytest.raises(ValueError):
        storage.write_record("../escape", b"x")
    assert local_network_only, "the S3 calls went through the guarded local sockets"


def test_s3_group_uploaded_without_marker_is_not_listed_and_is_discarded(
    s3_endpoint, s3_bucket, local_network_only, tmp_path
):
    client, bucket = s3_bucket
    storage = _s3_storage(s3_endpoint, bucket)
    storage.write_checkpoint("ckpt-1", _group(tmp_path, x=b"1"))
    # Another process died after uploading two of the files, before the marker.
    client.put_object(Bucket=bucket, Key="run/ckpt-2/state.index", Body=b"index")
    client.put_object(Bucket=bucket, Key="run/ckpt-2/state.data-00000-of-00001", Body=b"da")
    assert storage.list_checkpoints() == ["ckpt-1"]
    assert _s3_storage(s3_endpoint, bucket).list_checkpoints() == ["ckpt-1"]
    assert storage.discard_incomplete() == [f"s3://{bucket}/run/ckpt-2"]
    assert _keys(client, bucket) == [f"run/ckpt-1/{COMMIT_MARKER}", "run/ckpt-1/x"]


@pytest.mark.parametrize("compression", [None, "zstd"])
def test_s3_manager_save_restore_round_trip(
    s3_endpoint, s3_bucket, local_network_only, compression
):
    client, bucket = s3_bucket
    policy = CheckpointPolicy(monitor="loss", keep_latest=2, keep_best=1)
    state = make_state(0, data=False)
    storage = _s3_storage(s3_endpoint, bucket, compression=compression)
    manager = CheckpointManager(state, storage, policy)
    for step, loss in ((1, 0.2), (2, 0.9), (3, 0.8), (4, 0.7)):
        set_weights_for_step(state, step)
        manager.save({"loss": loss})
    assert [info.step for info in manager.checkpoints()] == [1, 3, 4]
    data_key = "run/ckpt-0000000004/state.data-00000-of-00001"
    uploaded = client.get_object(Bucket=bucket, Key=data_key)["Body"].read()
    magic = uploaded[:4] == b"\x28\xb5\x2f\xfd"  # zstd's frame magic number
    assert magic == (compression == "zstd"), "compressed bytes are what is uploaded"
    client.put_object(Bucket=bucket, Key="run/ckpt-0000000005/state.index", Body=b"partial")

    # A new process: a new state with other weights, a new storage object on the same URL.
    fresh = make_state(11, data=False)
    with pytest.warns(UserWarning, match="ckpt-0000000005"):
        restarted = CheckpointManager(fresh, _s3_storage(s3_endpoint, bucket), policy)
    assert [info.step for info in restarted.checkpoints()] == [1, 3, 4]
    assert restarted.best["name"] == "ckpt-0000000001"
    assert restarted.restore_latest().step == 4
    for index, value in enumerate(weights(fresh)):
        assert (value == expected_weight(value.shape, 4, index)).all()
    assert restarted.restore_best().step == 1
    for index, value in enumerate(weights(fresh)):
        assert (value == expected_weight(value.shape, 1, index)).all()
    assert not any(key.startswith("run/ckpt-0000000005") for key in _keys(client, bucket))
    assert "run/best.json" in _keys(client, bucket)
