"""Sealing for storages that hold or upload bytes: read each staged file once, hash from memory.

``InMemoryStorage`` keeps a checkpoint's bytes in a dict and ``CloudStorage`` uploads them, so
both must read the staged files anyway. ``SealedFiles.seal`` reads each file once, computes its
manifest entry from those bytes in memory (compressing them first when the storage compresses),
and keeps them; ``write_checkpoint`` then takes them from ``SealedFiles.files`` instead of
reading the files a second time. Only the manifest, written after sealing, is read from disk.
"""

from __future__ import annotations

import pathlib
import threading

from course_utils.checkpoints.compression import encode_bytes
from course_utils.checkpoints.manifest import MANIFEST

__all__ = ["SealedFiles"]


def _stamp(path: pathlib.Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


class SealedFiles:
    """The bytes of the most recently sealed staging folder (one save at a time per manager)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: pathlib.Path | None = None
        self._files: dict[str, tuple[tuple[int, int], bytes]] = {}

    def seal(self, staged_dir: pathlib.Path, level: int | None = None) -> dict[str, dict]:
        """Manifest entries of every staged file but the manifest; ``level``: zstd or None."""
        entries, files = {}, {}
        for path in sorted(pathlib.Path(staged_dir).iterdir()):
            if path.name == MANIFEST:
                continue
            stamp, data = _stamp(path), path.read_bytes()
            entry, compressed = encode_bytes(data, level)
            entries[path.name] = entry
            files[path.name] = (stamp, data if compressed is None else compressed)
        with self._lock:
            self._folder, self._files = pathlib.Path(staged_dir), files
        return entries

    def files(self, source_dir: pathlib.Path) -> dict[str, bytes]:
        """The bytes to store for every file in ``source_dir``: sealed ones from memory.

        A file not sealed (the manifest, or a folder written without ``seal``) or changed since
        is read from disk.
        """
        source_dir = pathlib.Path(source_dir)
        with self._lock:
            sealed = self._files if self._folder == source_dir else {}
            self._folder, self._files = None, {}
        files = {}
        for path in sorted(source_dir.iterdir()):
            hit = sealed.get(path.name)
            files[path.name] = hit[1] if hit and hit[0] == _stamp(path) else path.read_bytes()
        return files
