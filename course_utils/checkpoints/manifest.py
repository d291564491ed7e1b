"""The manifest: a checkpoint's table of contents, with a sha256 per file.

Written last into the staging folder, checked before any byte is restored, so that a truncated
or corrupted checkpoint is detected instead of silently loading garbage. Taught in notebook 01.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time
from typing import Any

__all__ = ["MANIFEST", "CorruptCheckpointError", "write_manifest", "read_manifest", "verify"]

MANIFEST = "manifest.json"
_FORMAT = "course-utils-checkpoint/1"
_REQUIRED = ("step", "epoch", "metrics", "reason", "files")


class CorruptCheckpointError(ValueError):
    """A checkpoint whose files do not match its manifest (or whose manifest is unreadable)."""


def _sha256(path: pathlib.Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_manifest(folder: pathlib.Path, **fields: Any) -> dict[str, Any]:
    """Hash every file in ``folder`` and write ``manifest.json`` beside them; return it."""
    files = {
        path.name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST
    }
    manifest = {"format": _FORMAT, "created": time.time(), **fields, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def read_manifest(data: bytes, name: str) -> dict[str, Any]:
    """Parse a manifest's bytes; ``CorruptCheckpointError`` naming the checkpoint if it is bad."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} is not a course-utils manifest")
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise CorruptCheckpointError(f"{name}: {MANIFEST} lacks {', '.join(missing)}")
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
        if _sha256(path) != expected["sha256"]:
            raise CorruptCheckpointError(f"{name}: {filename} fails its sha256 check (corrupted)")
    return manifest
