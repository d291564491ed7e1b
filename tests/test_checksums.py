"""file_sha256: the one checksum of manifests and artifact cards."""

from __future__ import annotations

import hashlib

import pytest

from course_utils.checksums import file_sha256


@pytest.mark.parametrize("size", [0, 1, 1 << 20])
def test_equals_hashlib_over_the_whole_file(tmp_path, size):
    path = tmp_path / "blob"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(path)) == file_sha256(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "missing")
