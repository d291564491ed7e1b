"""The manifest: a checkpoint's table of contents, with a checksum per file and one of its own.

Written last into the staging folder, checked before any byte is restored, so that a truncated
or corrupted checkpoint is detected instead of silently loading garbage. Each file entry records
its size, the checksum ``algorithm`` and the ``digest``; a file the storage keeps compressed also
has a ``stored`` entry (encoding, size and digest of the bytes at rest), checked by the storage
as it decodes. The manifest carries ``manifest_sha256``, the sha256 of its own canonical content
(every other field as compact, key-sorted JSON), so that a flipped byte in the manifest itself
(a step 3 that reads 7) is caught as well.

Formats: ``/3`` (written now: per-file algorithm, xxh3_128 by default); ``/2`` (sha256 per
file plus ``manifest_sha256``) and ``/1`` (sha256 per file, no manifest checksum) are still read
and verified. Taught in notebook 01.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time
from typing import Any

from course_utils.checksums import ALGORITHMS, DEFAULT_ALGORITHM, file_digest

__all__ = [
    "MANIFEST",
    "CorruptCheckpointError",
    "check_file",
    "file_entries",
    "read_manifest",
    "verify",
    "write_manifest",
]

MANIFEST = "manifest.json"
_FORMAT = "course-utils-checkpoint/3"
_SHA256_FORMAT = "course-utils-checkpoint/2"  # sha256 per file: read, not written
_LEGACY_FORMAT = "course-utils-checkpoint/1"  # before manifest_sha256: read, not written
_FORMATS = (_FORMAT, _SHA256_FORMAT, _LEGACY_FORMAT)
_CHECKSUM = "manifest_sha256"
_REQUIRED = ("step", "epoch", "metrics", "reason", "files")
_TYPES = {"step": int, "epoch": int, "metrics": dict, "reason": str, "files": dict}


class CorruptCheckpointError(ValueError):
    """A checkpoint whose files do not match its manifest (or whose manifest is unreadable)."""


def _content_sha256(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest without its checksum, as compact key-sorted ASCII JSON.

    Python floats round-trip exactly through JSON, so the reader recomputes the same bytes.
    """
    content = {key: value for key, value in manifest.items() if key != _CHECKSUM}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def file_entries(folder: pathlib.Path, algorithm: str = DEFAULT_ALGORITHM) -> dict[str, dict]:
    """``{filename: {"bytes", "algorithm", "digest"}}`` for every file but the manifest."""
    return {
        path.name: {
            "bytes": path.stat().st_size,
            "algorithm": algorithm,
            "digest": file_digest(path, algorithm),
        }
        for path in sorted(pathlib.Path(folder).iterdir())
        if path.name != MANIFEST
    }


def write_manifest(
    folder: pathlib.Path, *, entries: dict[str, dict] | None = None, **fields: Any
) -> dict[str, Any]:
    """Write ``manifest.json`` into ``folder`` and return it.

    ``entries`` are the file entries when the storage already hashed the files (``Storage.seal``);
    without them every file in ``folder`` is hashed here.
    """
    files = file_entries(folder) if entries is None else entries
    manifest = {"format": _FORMAT, "created": time.time(), **fields, "files": files}
    # Through JSON once, so that the checksum covers exactly what a reader will parse.
    manifest = json.loads(json.dumps(manifest))
    manifest[_CHECKSUM] = _content_sha256(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _normalised(entry: object) -> dict | None:
    """A file entry in today's shape; ``{"bytes", "sha256"}`` (formats 1 and 2) is converted."""
    if not isinstance(entry, dict):
        return None
    if "sha256" in entry and "algorithm" not in entry:
        entry = {"bytes": entry.get("bytes"), "algorithm": "sha256", "digest": entry["sha256"]}
    size, stored = entry.get("bytes"), entry.get("stored")
    if (
        not isinstance(size, int)
        or isinstance(size, bool)
        or entry.get("algorithm") not in ALGORITHMS
        or not isinstance(entry.get("digest"), str)
    ):
        return None
    if stored is not None and (
        not isinstance(stored, dict)
        or not isinstance(stored.get("encoding"), str)
        or not isinstance(stored.get("bytes"), int)
        or not isinstance(stored.get("digest"), str)
    ):
        return None
    return entry


def read_manifest(data: bytes, name: str) -> dict[str, Any]:
    """Parse a manifest's bytes; ``CorruptCheckpointError`` naming the checkpoint if it is bad.

    File entries of the sha256 formats come back in today's shape (``algorithm``, ``digest``).
    """
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in _FORMATS:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is not a course-utils manifest")
    required = _REQUIRED if manifest["format"] == _LEGACY_FORMAT else (*_REQUIRED, _CHECKSUM)
    missing = [key for key in required if key not in manifest]
    if missing:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} lacks {', '.join(missing)}")
    if manifest["format"] != _LEGACY_FORMAT and manifest[_CHECKSUM] != _content_sha256(manifest):
        raise CorruptCheckpointError(
            f"{name}: {MANIFEST} fails its own sha256 check (the manifest is corrupted)"
        )
    for key, kind in _TYPES.items():
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CorruptCheckpointError(
                f"{name}: {MANIFEST} has {key} = {value!r}, expected a {kind.__name__}"
            )
    for filename, entry in list(manifest["files"].items()):
        normalised = _normalised(entry)
        if (
            "/" in filename
            or "\\" in filename
            or filename in ("", ".", "..", MANIFEST)
            or normalised is None
        ):
            raise CorruptCheckpointError(
                f"{name}: {MANIFEST} has a malformed entry for {filename!r}: {entry!r}"
            )
        manifest["files"][filename] = normalised
    return manifest


def check_file(path: pathlib.Path, size: int, algorithm: str, digest: str, name: str) -> None:
    """Raise ``CorruptCheckpointError`` unless the file has this size and checksum."""
    if not path.is_file():
        raise CorruptCheckpointError(f"{name}: {path.name} is missing")
    actual = path.stat().st_size
    if actual != size:
        raise CorruptCheckpointError(
            f"{name}: {path.name} has {actual} bytes, the manifest says {size} (truncated?)"
        )
    if file_digest(path, algorithm) != digest:
        raise CorruptCheckpointError(f"{name}: {path.name} fails its {algorithm} check (corrupted)")


def verify(folder: pathlib.Path, name: str) -> dict[str, Any]:
    """Check every file against the manifest; return the manifest or raise, naming the file.

    Each file is read once (through ``mmap``, so from the page cache when it is there): a restore
    that verifies and then reads loads the bytes from disk once. A file the manifest does not
    list is refused as well. For a compressed checkpoint ``folder`` holds the decoded files
    (``Storage.open_checkpoint`` decodes them, checking the stored bytes on the way).
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise CorruptCheckpointError(f"{name}: no {MANIFEST}")
    manifest = read_manifest(manifest_path.read_bytes(), name)
    files = manifest["files"]
    extra = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST and p.name not in files)
    if extra:
        raise CorruptCheckpointError(
            f"{name}: {', '.join(extra)} not listed in its {MANIFEST} (a foreign file)"
        )
    for filename, entry in files.items():
        check_file(folder / filename, entry["bytes"], entry["algorithm"], entry["digest"], name)
    return manifest
