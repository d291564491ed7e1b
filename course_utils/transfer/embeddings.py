r"""``PretrainedWordEmbeddings``: word vectors learned elsewhere, loaded from a text file.

Reads GloVe's and word2vec's text formats (``embeddings_file.py`` holds the reader and its
rules); queries: ``vector``, ``most_similar``, ``embedding_matrix`` for a Keras ``Embedding``
layer. Taught in notebook 04.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterable, Sequence

import numpy as np

from course_utils.transfer.embeddings_file import read_word_vectors
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
        """Read a GloVe or word2vec text file (the rules: ``embeddings_file.py``).

        Args:
            path: the ``.txt`` file.
            lowercase: lower-case every word on loading and every query afterwards.
            format: ``"glove"`` (no header), ``"word2vec"`` (``N D`` header) or ``"auto"``
                (a first line of exactly two integers is taken as a word2vec header).
            duplicates: ``"error"`` or ``"first"`` for a word that appears on two lines.
        """
        words, matrix, skipped, merged = read_word_vectors(
            path, lowercase=lowercase, format=format, duplicates=duplicates
        )
        result = cls(words, matrix, lowercase=lowercase, source=str(pathlib.Path(path)))
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
