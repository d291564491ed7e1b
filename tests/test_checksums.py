"""Checksums: sha256 (artifact cards, old manifests) and xxh3_128 (checkpoint manifests)."""

from __future__ import annotations

import hashlib

import pytest
import xxhash

from course_utils.checksums import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    Hasher,
    check_algorithm,
    file_digest,
    file_sha256,
)

REFERENCE = {
    "sha256": lambda data: hashlib.sha256(data).hexdigest(),
    "xxh3_128": lambda data: xxhash.xxh3_128(data).hexdigest(),
}


def _data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + b"x" * (size % 256)


@pytest.mark.parametrize("size", [0, 1, 1 << 20])
def test_equals_hashlib_over_the_whole_file(tmp_path, size):
    path = tmp_path / "blob"
    data = _data(size)
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(path)) == file_sha256(path)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("size", [0, 1, 1 << 20])
def test_file_digest_equals_the_reference_library(tmp_path, algorithm, size):
    path = tmp_path / "blob"
    data = _data(size)
    path.write_bytes(data)
    assert file_digest(path, algorithm) == REFERENCE[algorithm](data)
    assert file_digest(str(path), algorithm) == file_digest(path, algorithm)


def test_the_default_is_the_fast_non_cryptographic_one(tmp_path):
    assert DEFAULT_ALGORITHM == "xxh3_128"
    path = tmp_path / "blob"
    path.write_bytes(b"abc")
    assert file_digest(path) == xxhash.xxh3_128(b"abc").hexdigest()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_hasher_in_chunks_equals_one_pass(algorithm):
    data = _data(100_000)
    hasher = Hasher(algorithm)
    for start in range(0, len(data), 7777):
        hasher.update(memoryview(data)[start : start + 7777])
    assert hasher.hexdigest() == REFERENCE[algorithm](data)
    assert hasher.nbytes == len(data)


def test_one_flipped_bit_changes_every_digest(tmp_path):
    data = bytearray(_data(4096))
    before = {a: REFERENCE[a](bytes(data)) for a in ALGORITHMS}
    data[2000] ^= 0x01
    assert all(REFERENCE[a](bytes(data)) != before[a] for a in ALGORITHMS)


@pytest.mark.parametrize(
    ("algorithm", "error"), [("md5", ValueError), ("XXH3_128", ValueError), (None, TypeError)]
)
def test_unknown_algorithms_are_refused_naming_the_argument(tmp_path, algorithm, error):
    with pytest.raises(error, match="algorithm must be"):
        check_algorithm(algorithm)
    with pytest.raises(error, match="algorithm must be"):
        Hasher(algorithm)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        file_digest(tmp_path / "missing")
