"""The manifest: a checkpoint's table of contents, with a sha256 per file and one of its own.

Written last into the staging folder, checked before any byte is restored, so that a truncated
or corrupted checkpoint is detected instead of silently loading garbage. The manifest carries
``manifest_sha256``, the sha256 of its own canonical content (every other field as compact,
key-sorted JSON), so that a flipped byte in the manifest itself (a step 3 that reads 7) is caught
as well. Manifests written before that field existed (format ``course-utils-checkpoint/1``) are
still read, without that check. Taught in notebook 01.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time
from typing import Any

from course_utils.checksums import file_sha256

__all__ = ["MANIFEST", "CorruptCheckpointError", "write_manifest", "read_manifest", "verify"]

MANIFEST = "manifest.json"
_FORMAT = "course-utils-checkpoint/2"
_LEGACY_FORMAT = "course-utils-checkpoint/1"  # before manifest_sha256: read, not written
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


def write_manifest(folder: pathlib.Path, **fields: Any) -> dict[str, Any]:
    """Hash every file in ``folder`` and write ``manifest.json`` beside them; return it."""
    files = {
        path.name: {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST
    }
    manifest = {"format": _FORMAT, "created": time.time(), **fields, "files": files}
    # Through JSON once, so that the checksum covers exactly what a reader will parse.
    manifest = json.loads(json.dumps(manifest))
    manifest[_CHECKSUM] = _content_sha256(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def read_manifest(data: bytes, name: str) -> dict[str, Any]:
    """Parse a manifest's bytes; ``CorruptCheckpointError`` naming the checkpoint if it is bad."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in (_FORMAT, _LEGACY_FORMAT):
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is not a course-utils manifest")
    required = _REQUIRED if manifest["format"] == _LEGACY_FORMAT else (*_REQUIRED, _CHECKSUM)
    missing = [key for key in required if key not in manifest]
    if missing:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} lacks {', '.join(missing)}")
    if manifest["format"] == _FORMAT and manifest[_CHECKSUM] != _content_sha256(manifest):
        raise CorruptCheckpointError(
            f"{name}: {MANIFEST} fails its own sha256 check (the manifest is corrupted)"
        )
    for key, kind in _TYPES.items():
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CorruptCheckpointError(
                f"{name}: {MANIFEST} has {key} = {value!r}, expected a {kind.__name__}"
            )
    for filename, entry in manifest["files"].items():
        if (
            "/" in filename
            or "\\" in filename
            or filename in ("", ".", "..")
            or not isinstance(entry, dict)
            or not isinstance(entry.get("bytes"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise CorruptCheckpointError(
                f"{name}: {MANIFEST} has a malformed entry for {filename!r}: {entry!r}"
            )
    return manifest


def verify(folder: pathlib.Path, name: str) -> dict[str, Any]:
    """Check every file against the manifest; return the manifest or raise, naming the file."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise CorruptCheckpointError(f"{name}: no {MANIFEST}")
    manifest = read_manifest(manifest_path.read_bytes(), name)
    for filename, expected in manifest["files"].items():
        path = folder / filename
        if not path.is_file():
            raise CorruptCheckpointError(f"{name}: {filename} is missing")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise CorruptCheckpointError(
                f"{name}: {filename} has {size} bytes, the manifest says {expected['bytes']} "
                "(truncated?)"
            )
        if file_sha256(path) != expected["sha256"]:
            raise CorruptCheckpointError(f"{name}: {filename} fails its sha256 check (corrupted)")
    return manifest
