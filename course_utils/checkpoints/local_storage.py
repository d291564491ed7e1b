"""LocalStorage: checkpoints as folders on a local disk, published by an atomic rename.

Writing order for checkpoint ``ckpt-0000000100``::

    root/.staging/tmp-<random>/   <- files written here, each fsync'ed
    root/ckpt-0000000100/         <- one rename makes the whole folder appear; fsync(root)

A crash at any moment leaves either no ``ckpt-0000000100`` or a complete one. Leftover staging
folders are removed by ``discard_incomplete`` (the manager calls it when it starts).

``LocalStorage(root, compression="zstd", level=3)`` stores each file zstd-compressed when that
shrinks it (compression.py); the manifest then checksums both the decoded and the stored bytes,
and ``open_checkpoint`` decodes into a temporary folder after checking the stored bytes.
Compression is off by default: model weights barely compress, and it costs time on every save.
Taught in notebook 01.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import uuid
from collections.abc import Iterator

from course_utils.checkpoints.compression import check_compression, decode_file, encode_file
from course_utils.checkpoints.manifest import MANIFEST, CorruptCheckpointError, read_manifest
from course_utils.checkpoints.storage import Storage, check_key, copy_tree
from course_utils.validation import check_bool

__all__ = ["LocalStorage"]

_STAGING = ".staging"


def _fsync_path(path: pathlib.Path) -> None:
    """fsync a file or a folder (a folder's fsync makes a rename inside it durable)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _link_or_copy(source: pathlib.Path, target: pathlib.Path) -> None:
    """A hard link (same file system: no bytes copied), or a copy where links are refused."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class LocalStorage(Storage):
    """A folder on disk. ``LocalStorage("runs/ckpts")`` creates the folder if needed.

    ``compression``: None (default) or ``"zstd"``, with ``level`` 1..22 (default 3).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        durable: bool = True,
        compression: str | None = None,
        level: int | None = None,
    ) -> None:
        self.compression, self.level = check_compression(compression, level)
        check_bool("durable", durable)
        self.root = pathlib.Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"LocalStorage root {str(self.root)!r} exists and is not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self.durable = durable  # fsync files and folders; off only for throwaway demos

    def __repr__(self) -> str:
        if self.compression:
            options = f"compression={self.compression!r}, level={self.level}"
            return f"LocalStorage({str(self.root)!r}, {options})"
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> pathlib.Path:
        return self.root / check_key(key)

    def list_checkpoints(self) -> list[str]:
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )

    @contextlib.contextmanager
    def staging_dir(self) -> Iterator[pathlib.Path]:
        # On the same file system as the root, so that publishing is a rename, not a copy.
        folder = self.root / _STAGING / f"tmp-{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def write_checkpoint(self, name: str, source_dir: pathlib.Path) -> None:
        target = self._path(name)
        if target.exists():
            raise FileExistsError(f"checkpoint {str(target)!r} already exists")
        source_dir = pathlib.Path(source_dir)
        if source_dir.parent != self.root / _STAGING:
            with self.staging_dir() as staged:
                copy_tree(source_dir, staged)
                self._publish(staged, target)
        else:
            self._publish(source_dir, target)

    def prepare(self, staged_dir: pathlib.Path) -> None:
        if self.durable:
            for path in pathlib.Path(staged_dir).iterdir():
                _fsync_path(path)

    def seal(self, staged_dir: pathlib.Path) -> dict[str, dict]:
        if self.compression is None:
            return super().seal(staged_dir)
        assert self.level is not None  # check_compression sets both
        return {
            path.name: encode_file(path, self.level, durable=self.durable)
            for path in sorted(pathlib.Path(staged_dir).iterdir())
            if path.name != MANIFEST
        }

    def _publish(self, staged: pathlib.Path, target: pathlib.Path) -> None:
        if self.durable:
            for path in staged.iterdir():
                _fsync_path(path)  # cheap if prepare() already flushed it
            _fsync_path(staged)
        os.rename(staged, target)  # atomic on POSIX file systems
        if self.durable:
            _fsync_path(self.root)

    def read_file(self, name: str, filename: str) -> bytes:
        path = self._path(f"{name}/{filename}")
        if not path.is_file():
            raise FileNotFoundError(f"no file {str(path)!r}")
        return path.read_bytes()

    @contextlib.contextmanager
    def open_checkpoint(self, name: str) -> Iterator[pathlib.Path]:
        path = self._path(name)
        if not path.is_dir():
            raise FileNotFoundError(f"no checkpoint folder {str(path)!r}")
        encoded = self._encoded_files(path, name)
        if not encoded:
            yield path  # already local, stored as TensorFlow reads it: no copy
            return
        with self.staging_dir() as folder:
            for source in path.iterdir():
                if source.name in encoded:
                    decode_file(source, folder / source.name, encoded[source.name], name)
                else:
                    _link_or_copy(source, folder / source.name)
            yield folder

    @staticmethod
    def _encoded_files(path: pathlib.Path, name: str) -> dict[str, dict]:
        """The manifest entries of the files stored compressed (empty if the manifest is bad:
        ``verify`` then reports it)."""
        try:
            manifest = read_manifest((path / MANIFEST).read_bytes(), name)
        except (OSError, CorruptCheckpointError):
            return {}
        encoded = {f: e for f, e in manifest["files"].items() if "stored" in e}
        for filename in encoded:
            if not (path / filename).is_file():
                raise CorruptCheckpointError(f"{name}: {filename} is missing")
        return encoded

    def delete_checkpoint(self, name: str) -> None:
        path = self._path(name)
        if not path.exists():
            return
        # Rename out of the listing first, so a crash mid-delete never leaves a half checkpoint.
        doomed = self.root / _STAGING / f"del-{uuid.uuid4().hex}"
        doomed.parent.mkdir(exist_ok=True)
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def write_record(self, key: str, data: bytes) -> None:
        path = self._path(key)
        temporary = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            if self.durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
        if self.durable:
            _fsync_path(self.root)

    def read_record(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def discard_incomplete(self) -> list[str]:
        removed = []
        staging = self.root / _STAGING
        if staging.is_dir():
            for leftover in sorted(staging.iterdir()):
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(str(leftover))
        for leftover in sorted(self.root.glob(".*.tmp-*")):
            leftover.unlink(missing_ok=True)
            removed.append(str(leftover))
        return removed
