"""CloudStorage: checkpoints in an object store through fsspec (s3://, gs://, memory://, ...).

Object stores have no atomic rename of a folder, so a checkpoint is committed by a marker
object written *after* every file: ``ckpt-0000000100/_COMMITTED``. Listings show only groups
that have it; deletion removes the marker first. An uncommitted group (a crash mid-upload) is
invisible and is cleaned up by ``discard_incomplete``.

The staged files are read once (``seal``): hashed, and zstd-compressed when
``CloudStorage(url, compression="zstd", level=3)`` asks for it, from memory; those bytes are what
is uploaded. ``open_checkpoint`` checks and decodes compressed files after downloading them.
Taught in notebook 01.
"""

from __future__ import annotations

import contextlib
import pathlib
import tempfile
from collections.abc import Iterator

from course_utils.checkpoints.compression import check_compression, decode_bytes
from course_utils.checkpoints.manifest import MANIFEST, CorruptCheckpointError, read_manifest
from course_utils.checkpoints.sealing import SealedFiles
from course_utils.checkpoints.storage import Storage, check_key

__all__ = ["CloudStorage"]

COMMIT_MARKER = "_COMMITTED"


def _decode(files: dict[str, bytes], name: str) -> None:
    """Replace the compressed files of a downloaded checkpoint by their checked, decoded bytes.

    A manifest that does not parse is left for ``verify`` to report.
    """
    try:
        manifest = read_manifest(files[MANIFEST], name)
    except (KeyError, CorruptCheckpointError):
        return
    for filename, entry in manifest["files"].items():
        if "stored" in entry:
            if filename not in files:
                raise CorruptCheckpointError(f"{name}: {filename} is missing")
            files[filename] = decode_bytes(files[filename], entry, name, filename)


class CloudStorage(Storage):
    """``CloudStorage("s3://bucket/run-1", endpoint_url=...)``; options go to fsspec.

    ``compression``: None (default) or ``"zstd"``, with ``level`` 1..22 (default 3).
    """

    def __init__(
        self,
        url: str,
        *,
        compression: str | None = None,
        level: int | None = None,
        **storage_options,
    ) -> None:
        import fsspec

        self.compression, self.level = check_compression(compression, level)
        self._sealed = SealedFiles()

        if not isinstance(url, str) or "://" not in url:
            raise ValueError(f"CloudStorage needs a URL such as 's3://bucket/path', got {url!r}")
        self.url = url.rstrip("/")
        if "client_kwargs" not in storage_options and "endpoint_url" in storage_options:
            endpoint = storage_options.pop("endpoint_url")
            storage_options["client_kwargs"] = {"endpoint_url": endpoint}
        self._fs, self._root = fsspec.core.url_to_fs(self.url, **storage_options)
        self._root = self._root.rstrip("/")

    def __repr__(self) -> str:
        if self.compression:
            return (
                f"CloudStorage({self.url!r}, compression={self.compression!r}, level={self.level})"
            )
        return f"CloudStorage({self.url!r})"

    def _path(self, key: str) -> str:
        return f"{self._root}/{check_key(key)}"

    def _entries(self) -> list[str]:
        self._fs.invalidate_cache(self._root)
        if not self._fs.exists(self._root):
            return []
        names = []
        for entry in self._fs.ls(self._root, detail=True):
            if entry["type"] == "directory":
                names.append(entry["name"].rstrip("/").rsplit("/", 1)[-1])
        return names

    def _committed(self, name: str) -> bool:
        return self._fs.exists(f"{self._root}/{name}/{COMMIT_MARKER}")

    def list_checkpoints(self) -> list[str]:
        return sorted(name for name in self._entries() if self._committed(name))

    def write_checkpoint(self, name: str, source_dir: pathlib.Path) -> None:
        base = self._path(name)
        if self._committed(name):
            raise FileExistsError(f"checkpoint {self.url}/{name} already exists")
        for filename, data in self._sealed.files(source_dir).items():
            self._fs.pipe_file(f"{base}/{filename}", data)
        self._fs.pipe_file(f"{base}/{COMMIT_MARKER}", b"committed\n")  # last: the commit

    def seal(self, staged_dir: pathlib.Path) -> dict[str, dict]:
        # Read once, hashed (and compressed) from memory; write_checkpoint uploads these bytes.
        return self._sealed.seal(staged_dir, self.level)

    def read_file(self, name: str, filename: str) -> bytes:
        path = self._path(f"{name}/{filename}")
        if not self._committed(name):
            raise FileNotFoundError(f"no committed checkpoint {self.url}/{name}")
        try:
            return self._fs.cat_file(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"no file {self.url}/{name}/{filename}") from None

    @contextlib.contextmanager
    def open_checkpoint(self, name: str) -> Iterator[pathlib.Path]:
        base = self._path(name)
        if not self._committed(name):
            raise FileNotFoundError(f"no committed checkpoint {self.url}/{name}")
        downloaded: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory(prefix="ckpt-download-") as folder:
            for remote in self._fs.ls(base, detail=False):
                filename = remote.rstrip("/").rsplit("/", 1)[-1]
                if filename != COMMIT_MARKER:
                    downloaded[filename] = self._fs.cat_file(remote)
            _decode(downloaded, name)
            for filename, data in downloaded.items():
                (pathlib.Path(folder) / filename).write_bytes(data)
            yield pathlib.Path(folder)

    def delete_checkpoint(self, name: str) -> None:
        base = self._path(name)
        if self._fs.exists(f"{base}/{COMMIT_MARKER}"):
            self._fs.rm_file(f"{base}/{COMMIT_MARKER}")  # first: it leaves the listing
        if self._fs.exists(base):
            self._fs.rm(base, recursive=True)

    def write_record(self, key: str, data: bytes) -> None:
        self._fs.pipe_file(self._path(key), bytes(data))  # a single PUT replaces atomically

    def read_record(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return self._fs.cat_file(path)
        except FileNotFoundError:
            return None

    def discard_incomplete(self) -> list[str]:
        removed = []
        for name in self._entries():
            if not self._committed(name):
                self._fs.rm(f"{self._root}/{name}", recursive=True)
                removed.append(f"{self.url}/{name}")
        return removed
