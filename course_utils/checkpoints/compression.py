"""Optional zstd compression of checkpoint files, with checksums of the bytes at rest.

A storage that compresses (``LocalStorage(root, compression="zstd", level=3)``) calls
``encode_file`` on each staged file before the manifest is written: the raw bytes are hashed
(through ``mmap``, from the page cache) and compressed, and the compressed bytes are hashed from
memory as they are written, so the manifest covers both. ``decode_file`` checks the stored bytes
against their size and checksum before decompressing them. A file that zstd cannot shrink is kept
raw. Weights look random to a compressor (little gain); zeros (fresh Adam slots) shrink a lot.
Taught in notebook 01 (the compression trade-off).
"""

from __future__ import annotations

import mmap
import os
import pathlib

import zstandard

from course_utils.checkpoints.manifest import CorruptCheckpointError
from course_utils.checksums import DEFAULT_ALGORITHM, Hasher
from course_utils.validation import check_int

__all__ = [
    "COMPRESSIONS",
    "check_compression",
    "decode_bytes",
    "decode_file",
    "encode_bytes",
    "encode_file",
]

COMPRESSIONS = ("zstd",)
_LEVELS = (1, 22)  # zstd's ordinary levels; 3 is zstd's own default


def check_compression(compression: object, level: object) -> tuple[str | None, int | None]:
    """``(compression, level)`` validated: ``(None, None)`` or ``("zstd", 1..22)``."""
    if compression is None:
        if level is not None:
            raise ValueError(f"level={level!r} needs compression='zstd' (compression is None)")
        return None, None
    if not isinstance(compression, str):
        raise TypeError(
            f"compression must be None or a str, got {type(compression).__name__} {compression!r}"
        )
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be None or one of {COMPRESSIONS}, got {compression!r}")
    if level is None:
        return compression, 3
    return compression, check_int("level", level, minimum=_LEVELS[0], maximum=_LEVELS[1])


def _write_durably(path: pathlib.Path, data, durable: bool) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


def encode_bytes(
    data, level: int | None, algorithm: str = DEFAULT_ALGORITHM
) -> tuple[dict, bytes | None]:
    """The manifest entry of ``data`` and, if zstd at ``level`` shrinks it, the bytes to store.

    ``level`` None: no compression, only the checksum. Both checksums are computed from memory:
    the raw bytes as given, the compressed bytes just before the caller writes them.
    """
    raw = Hasher(algorithm)
    raw.update(data)
    entry: dict = {"bytes": raw.nbytes, "algorithm": algorithm, "digest": raw.hexdigest()}
    if level is None or raw.nbytes == 0:
        return entry, None
    compressed = zstandard.ZstdCompressor(level=level, threads=-1).compress(data)
    if len(compressed) >= raw.nbytes:
        return entry, None  # zstd did not win: keep the raw bytes
    stored = Hasher(algorithm)
    stored.update(compressed)
    entry["stored"] = {"encoding": "zstd", "bytes": len(compressed), "digest": stored.hexdigest()}
    return entry, compressed


def encode_file(
    path: pathlib.Path, level: int, *, durable: bool, algorithm: str = DEFAULT_ALGORITHM
) -> dict:
    """Compress ``path`` in place if that shrinks it; return its manifest entry.

    The raw bytes are read once, through ``mmap`` (from the page cache, just written). The
    compressed bytes go to a temporary name and replace the file in one rename, so an error
    leaves either the raw file or the compressed one, never half of one.
    """
    path = pathlib.Path(path)
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return encode_bytes(b"", level, algorithm)[0]
        with (
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
            memoryview(mapped) as view,
        ):
            entry, compressed = encode_bytes(view, level, algorithm)
    if compressed is None:
        if durable:
            _fsync_file(path)
        return entry
    temporary = path.with_name(f".{path.name}.zst-tmp")
    try:
        _write_durably(temporary, compressed, durable)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return entry


def _fsync_file(path: pathlib.Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def decode_bytes(data, entry: dict, name: str, filename: str) -> bytes:
    """The decoded bytes of a stored file, after checking them against ``entry["stored"]``."""
    stored = entry["stored"]
    if stored["encoding"] not in COMPRESSIONS:
        raise CorruptCheckpointError(
            f"{name}: {filename} has an unknown encoding {stored['encoding']!r}"
        )
    hasher = Hasher(entry["algorithm"])
    hasher.update(data)
    if hasher.nbytes != stored["bytes"]:
        raise CorruptCheckpointError(
            f"{name}: {filename} has {hasher.nbytes} stored bytes, the manifest says "
            f"{stored['bytes']} (truncated?)"
        )
    if hasher.hexdigest() != stored["digest"]:
        raise CorruptCheckpointError(
            f"{name}: {filename} fails its {entry['algorithm']} check of the stored "
            "(compressed) bytes (corrupted)"
        )
    try:
        return zstandard.ZstdDecompressor().decompress(data, max_output_size=entry["bytes"])
    except zstandard.ZstdError as error:
        raise CorruptCheckpointError(f"{name}: {filename} does not decompress ({error})") from None


def decode_file(source: pathlib.Path, target: pathlib.Path, entry: dict, name: str) -> None:
    """Check ``source`` against ``entry["stored"]``, then write its decoded bytes to ``target``."""
    source = pathlib.Path(source)
    if entry["stored"]["encoding"] not in COMPRESSIONS:
        decode_bytes(b"", entry, name, source.name)  # raises, naming the encoding
    if not source.is_file():
        raise CorruptCheckpointError(f"{name}: {source.name} is missing")
    with open(source, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            data = decode_bytes(b"", entry, name, source.name)
        else:
            with (
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
                memoryview(mapped) as view,
            ):
                data = decode_bytes(view, entry, name, source.name)
    pathlib.Path(target).write_bytes(data)
