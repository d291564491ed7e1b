"""Where the shipped artifacts live: ``data/`` of the repository, installed as package data.

``course_utils/_data`` is a link to the repository's ``data/`` folder (what ``make data`` writes
and the README's cards describe); a wheel copies its files into the package, so
``pip install .`` finds them as an editable install does. Used by notebooks 03-05 through
``PretrainedModel.from_file()`` and ``build_embeddings.EMBEDDINGS_PATH``.
"""

from __future__ import annotations

import pathlib

__all__ = ["DATA_DIR", "PRETRAINED_DIR", "EMBEDDINGS_DIR"]

DATA_DIR = (pathlib.Path(__file__).resolve().parent / "_data").resolve()
PRETRAINED_DIR = DATA_DIR / "pretrained"
EMBEDDINGS_DIR = DATA_DIR / "embeddings"
