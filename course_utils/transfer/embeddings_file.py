r"""The reader of word-vector text files behind ``PretrainedWordEmbeddings.load``.

Reads GloVe's text format (``word v1 ... vd`` per line) and word2vec's text format (the same
lines after an ``N D`` header), UTF-8. Taught in notebook 04.

Rules the loader enforces (each failure is a ``ValueError`` naming the file and line number):
an empty file, a line that is not a word followed by numbers, a number that is not finite, a
line whose dimension differs from the first line's (or the word2vec header's), a word2vec
header whose count does not match or that is not two ASCII integers (``"² 2"``), bytes that
are not UTF-8. Blank lines are skipped.

Separators: tokens are separated by single spaces, so a word may contain other Unicode
whitespace (e.g. U+00A0, which real GloVe vocabularies contain). A tab, vertical tab, form feed
or carriage return inside a line is refused, naming the file, line and column: C readers (GloVe's
own) split on them and ``split(" ")`` does not, so ``"cat\t0.25 -1.5"`` has no single meaning;
loading it as the word ``"cat\t0.25"`` of dimension 1 would be silently wrong. Replace them by
single spaces (``tr '\t' ' '``). Trailing whitespace at the end of a line is ignored.

Duplicate words: the same word on two lines is an error naming both lines by default
(``duplicates="error"``); ``duplicates="first"`` keeps the first line and counts the others in
``skipped_duplicates``. With ``lowercase=True``, words that become equal only after
lower-casing ("Apple", "apple") always keep the first line (frequency-sorted files list the
commoner form first); their number is ``merged_by_lowercasing``.
"""

from __future__ import annotations

import pathlib

import numpy as np

__all__ = ["read_word_vectors"]


def read_word_vectors(
    path: str | pathlib.Path,
    *,
    lowercase: bool = False,
    format: str = "auto",
    duplicates: str = "error",
) -> tuple[list[str], np.ndarray, int, int]:
    """Read a GloVe or word2vec text file: (words, vectors, skipped duplicates, merged words)."""
    if format not in ("auto", "glove", "word2vec"):
        raise ValueError(f"format must be 'auto', 'glove' or 'word2vec', got {format!r}")
    if duplicates not in ("error", "first"):
        raise ValueError(f"duplicates must be 'error' or 'first', got {duplicates!r}")
    path = pathlib.Path(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.txt"))[:3]
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        raise IsADirectoryError(
            f"{path} is a directory, not an embeddings file: pass the path of the .txt file{hint}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such embeddings file")
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen_raw: dict[str, int] = {}  # word as written -> line number
    seen_key: dict[str, int] = {}  # word after optional lower-casing -> line number
    dim = header_count = header_line = None
    skipped = merged = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {number}: not UTF-8 ({error.reason} at byte "
                    f"{error.start}); re-encode the file as UTF-8"
                ) from None
            if number == 1:
                line = line.removeprefix("\ufeff")
            line = line.rstrip()
            if not line:
                continue
            _refuse_control_whitespace(line, path, number)
            tokens = line.split(" ")
            if dim is None and not words and format != "glove":
                header = _parse_header(tokens, path, number)
                if header is not None:
                    (header_count, dim), header_line = header, number
                    continue
                if format == "word2vec":
                    raise ValueError(f"{path}, line {number}: expected a 'N D' header")
            word, values = tokens[0], tokens[1:]
            if not word or not values:
                raise ValueError(
                    f"{path}, line {number}: expected 'word v1 ... vd', got {line[:60]!r}"
                )
            if dim is None:
                dim = len(values)
            if len(values) != dim:
                raise ValueError(
                    f"{path}, line {number}: {len(values)} numbers for {word!r}, "
                    f"expected dimension {dim}"
                )
            vector = _parse_vector(values, path, number)
            if word in seen_raw:
                if duplicates == "error":
                    raise ValueError(
                        f"{path}: word {word!r} on line {number} already appeared on line "
                        f"{seen_raw[word]}; remove one or pass duplicates='first'"
                    )
                skipped += 1
                continue
            seen_raw[word] = number
            key = word.lower() if lowercase else word
            if key in seen_key:
                merged += 1
                continue
            seen_key[key] = number
            words.append(key)
            rows.append(vector)
    if not words:
        raise ValueError(f"{path}: empty file, no word vectors found")
    if header_count is not None and header_count != len(words) + skipped + merged:
        raise ValueError(
            f"{path}, line {header_line}: header says {header_count} words, file has "
            f"{len(words) + skipped + merged}"
        )
    return words, np.stack(rows), skipped, merged


_CONTROL_WHITESPACE = {
    "\t": "a tab",
    "\v": "a vertical tab",
    "\f": "a form feed",
    "\r": "a carriage return",
}


def _refuse_control_whitespace(line: str, path: pathlib.Path, number: int) -> None:
    for column, char in enumerate(line, start=1):
        if char in _CONTROL_WHITESPACE:
            raise ValueError(
                f"{path}, line {number}: {_CONTROL_WHITESPACE[char]} at column {column}; tokens "
                "must be separated by single spaces (replace it by a space)"
            )


def _parse_header(tokens: list[str], path: pathlib.Path, number: int) -> tuple[int, int] | None:
    """``(count, dim)`` for a ``N D`` line; None for any other line.

    ``str.isdigit`` is also true for "²" or "١", which ``int`` refuses or reads as 1: a line of
    two such tokens is an error naming the line, not a header and not a word vector.
    """
    if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
        return None
    if not all(t.isascii() for t in tokens):
        raise ValueError(
            f"{path}, line {number}: {' '.join(tokens)!r} looks like a word2vec 'N D' header "
            "but is not two ASCII integers"
        )
    return int(tokens[0]), int(tokens[1])


def _parse_vector(values: list[str], path: pathlib.Path, number: int) -> np.ndarray:
    try:
        vector = np.array([float(v) for v in values], dtype=np.float32)
    except ValueError:
        bad = next(v for v in values if not _is_float(v))
        raise ValueError(f"{path}, line {number}: {bad!r} is not a number") from None
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{path}, line {number}: vector contains nan or inf")
    return vector


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
