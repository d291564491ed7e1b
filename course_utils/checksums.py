"""Checksums for every file the course writes, read in one pass without loading a file at once.

Two algorithms, named in whatever records the checksum so that a reader knows which to run:

- ``"xxh3_128"`` (package ``xxhash``): a fast *non-cryptographic* checksum, several GB/s per
  core. It catches accidental damage (flipped bits, truncation, a wrong file), which is what a
  checkpoint manifest guards against; it does not resist someone forging a file on purpose.
- ``"sha256"``: cryptographic and about six times slower. The cards of the shipped artifacts
  (``transfer/build_base.py``, notebook 03) and manifests written before format 3 use it.

``Hasher`` hashes bytes as they stream past (while copying or compressing), ``file_digest``
hashes a file through ``mmap``, so that the bytes are read straight from the page cache without
a copy into Python. Used by checkpoint manifests (``checkpoints/manifest.py``, notebook 01).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import pathlib

import xxhash

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "Hasher",
    "check_algorithm",
    "file_digest",
    "file_sha256",
]

ALGORITHMS = ("xxh3_128", "sha256")
DEFAULT_ALGORITHM = "xxh3_128"
_MMAP_FROM = 1 << 20  # files from 1 MiB on are hashed through mmap


def check_algorithm(algorithm: object) -> str:
    """``algorithm`` if it is one of ``ALGORITHMS``; ``TypeError``/``ValueError`` otherwise."""
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a str, got {type(algorithm).__name__} {algorithm!r}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    return algorithm


class Hasher:
    """An incremental checksum: ``update(chunk)`` as bytes pass, then ``hexdigest()``."""

    def __init__(self, algorithm: str = DEFAULT_ALGORITHM) -> None:
        self.algorithm = check_algorithm(algorithm)
        self._hash = xxhash.xxh3_128() if algorithm == "xxh3_128" else hashlib.sha256()
        self.nbytes = 0

    def update(self, data) -> None:
        """Add ``data`` (bytes, bytearray, memoryview or mmap) to the checksum."""
        self._hash.update(data)
        self.nbytes += memoryview(data).nbytes

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def file_digest(path: pathlib.Path | str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The hex checksum of the file at ``path`` with ``algorithm``, in one pass over its bytes."""
    hasher = Hasher(algorithm)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < _MMAP_FROM:
            hasher.update(handle.read())  # small: one read is cheaper than mapping
            return hasher.hexdigest()
        with (
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
            memoryview(mapped) as view,
        ):
            hasher.update(view)
    return hasher.hexdigest()


def file_sha256(path: pathlib.Path | str) -> str:
    """The hex sha256 of the file at ``path``, without reading it into memory at once."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
