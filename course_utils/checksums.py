"""One checksum for every file the course writes: sha256, read in chunks.

Used by checkpoint manifests (``checkpoints/manifest.py``, notebook 01) and by the cards of the
shipped artifacts (``transfer/build_base.py``, notebook 03).
"""

from __future__ import annotations

import hashlib
import pathlib

__all__ = ["file_sha256"]


def file_sha256(path: pathlib.Path | str) -> str:
    """The hex sha256 of the file at ``path``, without reading it into memory at once."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
