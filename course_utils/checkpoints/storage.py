"""Storage: where checkpoints live. The interface, key rules, and the in-memory implementation.

A checkpoint is a *named group of files* (TensorFlow's ``state.index`` and ``state.data-*``
plus our ``manifest.json``) that must become visible all at once: a reader never sees half of
one. Each implementation gets that guarantee its own way:

- ``LocalStorage`` (local_storage.py): write into a staging folder, fsync, rename.
- ``CloudStorage`` (cloud_storage.py): object stores cannot rename, so upload every file and write
  a ``_COMMITTED`` marker object last; listings ignore groups without the marker.
- ``InMemoryStorage`` (here): a dict of bytes. Used by notebook 02 and as the test double.

Before publishing, ``seal`` hashes the files TensorFlow just wrote (xxh3_128, one pass from the
page cache, while ``prepare`` flushes them) and returns the manifest's file entries; a storage
that compresses (``LocalStorage(compression="zstd")``) hashes the compressed bytes it writes.

Taught in notebook 01 (the ``Storage`` box of the UML).
"""

from __future__ import annotations

import abc
import contextlib
import pathlib
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator

from course_utils.checkpoints.manifest import file_entries
from course_utils.checkpoints.sealing import SealedFiles
from course_utils.validation import check_positive_int

__all__ = ["Storage", "InMemoryStorage", "check_key", "MAX_KEY_PART", "MAX_KEY_LENGTH"]

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
# Key characters are ASCII, so characters are bytes. File systems allow 255 bytes per name and
# LocalStorage adds up to 38 (".<name>.tmp-<32 hex>" while replacing a record); object stores
# allow 1024 bytes per object key, root included.
MAX_KEY_PART = 128
MAX_KEY_LENGTH = 512


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative name inside a storage root, else raise.

    Keys are ``/``-separated parts of letters, digits, ``.``, ``_`` and ``-``. Absolute names,
    ``..``, backslashes and empty parts are refused, so that no key can escape the root. A part
    has at most ``MAX_KEY_PART`` (128) characters and the key at most ``MAX_KEY_LENGTH`` (512),
    the same for every storage, so a key that one storage accepts works on all of them.
    ``TypeError`` for a key that is not a ``str``, ``ValueError`` for any other bad key.
    """
    if not isinstance(key, str):
        raise TypeError(f"storage key must be a str, got {type(key).__name__} {key!r}")
    if not key:
        raise ValueError(f"storage key must be a non-empty string, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"storage key {key[:40]!r}... has {len(key)} characters; the limit is "
            f"{MAX_KEY_LENGTH} for a whole key (use shorter names)"
        )
    if key.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", key) or "://" in key:
        raise ValueError(f"storage key {key!r} is absolute: keys are relative to the storage root")
    for part in key.split("/"):
        if part in ("", ".", "..") or not _PART.fullmatch(part):
            raise ValueError(
                f"storage key {key!r} has an unsafe part {part!r}: use letters, digits, "
                "'.', '_' and '-' (no '..', no empty parts, no backslashes)"
            )
        if len(part) > MAX_KEY_PART:
            raise ValueError(
                f"storage key part {part[:40]!r}... has {len(part)} characters; the limit is "
                f"{MAX_KEY_PART} per '/'-separated part (file systems allow 255 bytes per name, "
                "and storages add suffixes): use a shorter name"
            )
    return key


class Storage(abc.ABC):
    """The interface the ``CheckpointManager`` talks to. Same calls, different backends."""

    @abc.abstractmethod
    def list_checkpoints(self) -> list[str]:
        """Names of the committed checkpoints, sorted. Uncommitted groups are never listed."""

    @abc.abstractmethod
    def write_checkpoint(self, name: str, source_dir: pathlib.Path) -> None:
        """Publish every file in ``source_dir`` as checkpoint ``name``, all or nothing.

        ``source_dir`` may be consumed (moved). Raises ``FileExistsError`` if ``name`` exists.
        """

    @abc.abstractmethod
    def read_file(self, name: str, filename: str) -> bytes:
        """One file of a committed checkpoint (e.g. its manifest), without fetching the rest."""

    @abc.abstractmethod
    def open_checkpoint(self, name: str) -> contextlib.AbstractContextManager[pathlib.Path]:
        """Context manager yielding a local folder that holds the checkpoint's files."""

    @abc.abstractmethod
    def delete_checkpoint(self, name: str) -> None:
        """Remove a checkpoint; it stops being listed before any of its files go."""

    @abc.abstractmethod
    def write_record(self, key: str, data: bytes) -> None:
        """Atomically create or replace a small object (the best-so-far record)."""

    @abc.abstractmethod
    def read_record(self, key: str) -> bytes | None:
        """A small object written by ``write_record``, or None if there is none."""

    @contextlib.contextmanager
    def staging_dir(self) -> Iterator[pathlib.Path]:
        """A fresh local folder to assemble a checkpoint in before ``write_checkpoint``."""
        with tempfile.TemporaryDirectory(prefix="ckpt-staging-") as folder:
            yield pathlib.Path(folder)

    def discard_incomplete(self) -> list[str]:
        """Remove what crashed writes left behind; return what was removed."""
        return []

    def prepare(self, staged_dir: pathlib.Path) -> None:
        """Called (on a helper thread) by ``seal`` while the staged files are hashed.

        ``LocalStorage`` uses it to flush them to disk at the same time; others need nothing.
        """
        return None

    def seal(self, staged_dir: pathlib.Path) -> dict[str, dict]:
        """Make the staged files final and return their manifest entries (size and checksum).

        Called once TensorFlow has written the files, before the manifest. The files were just
        written, so they are hashed from the page cache (one pass, through ``mmap``) while
        ``prepare`` flushes them to disk on another thread: both release the GIL. A storage that
        transforms what it stores (``LocalStorage(compression="zstd")``) hashes the bytes it
        writes instead.
        """
        errors: list[BaseException] = []

        def flush() -> None:
            try:
                self.prepare(staged_dir)
            except BaseException as error:  # re-raised below, on the caller's thread
                errors.append(error)

        flushing = threading.Thread(target=flush)
        flushing.start()
        try:
            entries = file_entries(pathlib.Path(staged_dir))
        finally:
            flushing.join()
        if errors:
            raise errors[0]
        return entries


class InMemoryStorage(Storage):
    """Checkpoints as bytes in a dict: fast, volatile, and the test double for ``Storage``."""

    def __init__(self, max_checkpoints: int | None = None) -> None:
        max_checkpoints = check_positive_int("max_checkpoints", max_checkpoints, optional=True)
        # A hard bound on memory: the manager writes the new checkpoint before deleting old ones,
        # so allow one more than CheckpointPolicy.keep_latest + keep_best.
        self.max_checkpoints = max_checkpoints
        self._checkpoints: dict[str, dict[str, bytes]] = {}
        self._records: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._sealed = SealedFiles()

    def __repr__(self) -> str:
        return f"InMemoryStorage({len(self._checkpoints)} checkpoints, {self.nbytes()} bytes)"

    def nbytes(self) -> int:
        """Bytes held by all checkpoints: what the in-memory store costs in RAM."""
        with self._lock:
            return sum(len(b) for files in self._checkpoints.values() for b in files.values())

    def list_checkpoints(self) -> list[str]:
        with self._lock:
            return sorted(self._checkpoints)

    def seal(self, staged_dir: pathlib.Path) -> dict[str, dict]:
        # The bytes are read once here, hashed from memory, and kept for write_checkpoint.
        return self._sealed.seal(staged_dir)

    def write_checkpoint(self, name: str, source_dir: pathlib.Path) -> None:
        check_key(name)
        files = self._sealed.files(source_dir)
        with self._lock:
            if name in self._checkpoints:
                raise FileExistsError(f"checkpoint {name!r} already exists in memory")
            if self.max_checkpoints is not None and len(self._checkpoints) >= self.max_checkpoints:
                raise ValueError(
                    f"InMemoryStorage is full ({self.max_checkpoints} checkpoints): keep fewer "
                    "with CheckpointPolicy(keep_latest=..., keep_best=...) or raise max_checkpoints"
                )
            self._checkpoints[name] = files  # one dict assignment: visible all at once

    def read_file(self, name: str, filename: str) -> bytes:
        check_key(f"{name}/{filename}")
        with self._lock:
            try:
                return self._checkpoints[name][filename]
            except KeyError:
                raise FileNotFoundError(f"no file {filename!r} in checkpoint {name!r}") from None

    @contextlib.contextmanager
    def open_checkpoint(self, name: str) -> Iterator[pathlib.Path]:
        check_key(name)
        with self._lock:
            if name not in self._checkpoints:
                raise FileNotFoundError(f"no checkpoint {name!r} in memory")
            files = dict(self._checkpoints[name])
        with tempfile.TemporaryDirectory(prefix="ckpt-open-") as folder:
            for filename, data in files.items():
                (pathlib.Path(folder) / filename).write_bytes(data)
            yield pathlib.Path(folder)

    def delete_checkpoint(self, name: str) -> None:
        check_key(name)
        with self._lock:
            self._checkpoints.pop(name, None)

    def write_record(self, key: str, data: bytes) -> None:
        check_key(key)
        with self._lock:
            self._records[key] = bytes(data)

    def read_record(self, key: str) -> bytes | None:
        check_key(key)
        with self._lock:
            return self._records.get(key)

    def corrupt(self, name: str, filename: str, data: bytes) -> None:
        """Replace one stored file's bytes: for tests and the corruption demo."""
        with self._lock:
            self._checkpoints[name][filename] = data


def copy_tree(source: pathlib.Path, target: pathlib.Path) -> None:
    """Copy the files of one flat folder into another (used by the storages)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        shutil.copyfile(path, target / path.name)
