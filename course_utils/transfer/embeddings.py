r"""``PretrainedWordEmbeddings``: word vectors learned elsewhere, loaded from a text file.

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

import dataclasses
import pathlib
from collections.abc import Iterable, Sequence

import numpy as np

from course_utils.validation import check_int, check_positive_int

__all__ = ["EmbeddingMatrix", "PretrainedWordEmbeddings"]


@dataclasses.dataclass(frozen=True)
class EmbeddingMatrix:
    """Rows aligned with a vocabulary, plus how many words the embeddings knew."""

    matrix: np.ndarray
    hits: int
    misses: int
    missing: tuple[str, ...]
    oov: str

    def __str__(self) -> str:
        n = self.hits + self.misses
        return (
            f"{self.matrix.shape[0]} x {self.matrix.shape[1]} matrix: {self.hits}/{n} words "
            f"found, {self.misses} missing ({self.oov})"
        )


class PretrainedWordEmbeddings:
    """A fixed vocabulary with one vector per word.

    Build one from arrays (``PretrainedWordEmbeddings(words, vectors)``; two words must not be
    equal, after lower-casing if ``lowercase=True``) or read a file with
    ``PretrainedWordEmbeddings.load(path)``.
    """

    def __init__(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        *,
        lowercase: bool = False,
        source: str = "<memory>",
    ) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words) or vectors.shape[0] == 0:
            raise ValueError(
                f"{source}: need one row per word and at least one word, got {len(words)} "
                f"words and an array of shape {vectors.shape}"
            )
        for i, word in enumerate(words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"{source}: word {i} is {word!r}; words must be non-empty str")
        # With lowercase=True, words and later queries are compared in lower case.
        self.words: tuple[str, ...] = tuple(w.lower() if lowercase else w for w in words)
        self.vectors = vectors
        self.lowercase = lowercase
        self.source = source
        self.skipped_duplicates = 0
        self.merged_by_lowercasing = 0
        self._index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            if word in self._index:
                raise ValueError(
                    f"{source}: word {word!r} appears twice (rows {self._index[word]}, {i})"
                )
            self._index[word] = i
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        self._unit = self.vectors / np.where(norms == 0, 1.0, norms)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        path: str | pathlib.Path,
        *,
        lowercase: bool = False,
        format: str = "auto",
        duplicates: str = "error",
    ) -> PretrainedWordEmbeddings:
        """Read a GloVe or word2vec text file (see the module docstring for the rules).

        Args:
            path: the ``.txt`` file.
            lowercase: lower-case every word on loading and every query afterwards.
            format: ``"glove"`` (no header), ``"word2vec"`` (``N D`` header) or ``"auto"``
                (a first line of exactly two integers is taken as a word2vec header).
            duplicates: ``"error"`` or ``"first"`` for a word that appears on two lines.
        """
        if format not in ("auto", "glove", "word2vec"):
            raise ValueError(f"format must be 'auto', 'glove' or 'word2vec', got {format!r}")
        if duplicates not in ("error", "first"):
            raise ValueError(f"duplicates must be 'error' or 'first', got {duplicates!r}")
        path = pathlib.Path(path)
        if path.is_dir():
            inside = sorted(p.name for p in path.glob("*.txt"))[:3]
            hint = f" (it holds {', '.join(inside)})" if inside else ""
            raise IsADirectoryError(
                f"{path} is a directory, not an embeddings file: pass the path of the .txt "
                f"file{hint}"
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
        result = cls(words, np.stack(rows), lowercase=lowercase, source=str(path))
        result.skipped_duplicates, result.merged_by_lowercasing = skipped, merged
        return result

    # ------------------------------------------------------------------ queries
    @property
    def dim(self) -> int:
        """Length of every vector."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._key(word) in self._index

    def _key(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def vector(self, word: str) -> np.ndarray:
        """A copy of ``word``'s vector; ``KeyError`` naming the word if it is not known."""
        key = self._key(word)
        if key not in self._index:
            raise KeyError(
                f"{word!r} is not in the embeddings ({len(self)} words from {self.source})"
            )
        return self.vectors[self._index[key]].copy()

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` nearest other words by cosine similarity, most similar first."""
        k = check_positive_int("k", k)
        index = self._index[self._key(word)] if word in self else None
        if index is None:
            raise KeyError(
                f"{word!r} is not in the embeddings ({len(self)} words from {self.source})"
            )
        scores = self._unit @ self._unit[index]
        scores[index] = -np.inf
        top = np.argsort(-scores, kind="stable")[: min(k, len(self) - 1)]
        return [(self.words[i], float(scores[i])) for i in top]

    def embedding_matrix(
        self, vocabulary: Iterable[str], *, oov: str = "zeros", seed: int = 0
    ) -> EmbeddingMatrix:
        """One row per vocabulary word, ready for ``keras.layers.Embedding``.

        Out-of-vocabulary strategy: ``oov="zeros"`` gives unknown words an all-zero row (they
        then contribute nothing but still count in an average); ``oov="random"`` draws them from
        a normal distribution with the embeddings' own per-dimension mean and standard deviation
        (seeded). Keras ``TextVectorization``'s padding ``""`` and ``"[UNK]"`` are misses.
        """
        if oov not in ("zeros", "random"):
            raise ValueError(f"oov must be 'zeros' or 'random', got {oov!r}")
        vocabulary = [str(word) for word in vocabulary]
        matrix = np.zeros((len(vocabulary), self.dim), dtype=np.float32)
        missing = []
        rng = np.random.default_rng(seed)
        mean, std = self.vectors.mean(axis=0), self.vectors.std(axis=0)
        for row, word in enumerate(vocabulary):
            if word in self:
                matrix[row] = self.vectors[self._index[self._key(word)]]
            else:
                missing.append(word)
                if oov == "random":
                    matrix[row] = rng.normal(mean, std).astype(np.float32)
        hits = len(vocabulary) - len(missing)
        return EmbeddingMatrix(matrix, hits, len(missing), tuple(missing), oov)

    def save(self, path: str | pathlib.Path, *, format: str = "glove", decimals: int = 6) -> None:
        """Write the vectors as UTF-8 text in GloVe (or word2vec, with header) format."""
        if format not in ("glove", "word2vec"):
            raise ValueError(f"format must be 'glove' or 'word2vec', got {format!r}")
        decimals = check_int("decimals", decimals, minimum=0)
        lines = [f"{len(self)} {self.dim}\n"] if format == "word2vec" else []
        for word, row in zip(self.words, self.vectors, strict=True):
            lines.append(word + " " + " ".join(f"{v:.{decimals}f}" for v in row) + "\n")
        pathlib.Path(path).write_text("".join(lines), encoding="utf-8")


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
