"""Pre-train the course's word embeddings: ``python -m course_utils.transfer.build_embeddings``.

No machine of the course can download GloVe, so we make our own in GloVe's text format:

1. generate the unlabelled corpus (``course_utils.datasets.text.make_corpus``, seeded);
2. count how often each pair of words occurs within ``window`` tokens, weighting a pair by
   1 / distance (as GloVe does);
3. turn counts into positive pointwise mutual information (PPMI), with the context
   distribution raised to 0.75 (Levy, Goldberg and Dagan, 2015);
4. keep the top ``dim`` singular directions of the PPMI matrix (a seeded randomised SVD in
   NumPy) and use ``U * sqrt(S)`` as the word vectors, each column's sign fixed so that its
   largest entry is positive.

It takes a few seconds and writes ``data/embeddings/course_glove_50d.txt`` plus a card
``course_glove_50d.card.json``. The same seed on the same NumPy build gives the same file; on
another BLAS the numbers may differ in the last decimals, but the cosine similarities agree
within 1e-3 (``tests/transfer/test_embeddings.py`` checks this). Taught in notebook 04.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys
import time

import numpy as np

from course_utils.datasets.text import make_corpus
from course_utils.paths import EMBEDDINGS_DIR
from course_utils.transfer.embeddings import PretrainedWordEmbeddings
from course_utils.validation import check_positive_int

__all__ = ["DEFAULTS", "EMBEDDINGS_PATH", "build", "main"]

EMBEDDINGS_PATH = EMBEDDINGS_DIR / "course_glove_50d.txt"
DEFAULTS = {"n_sentences": 200_000, "dim": 50, "window": 4, "min_count": 5, "seed": 0}


def _vocabulary(corpus: list[list[str]], min_count: int) -> list[str]:
    counts = collections.Counter(token for sentence in corpus for token in sentence)
    kept = [word for word, count in counts.items() if count >= min_count]
    return sorted(kept, key=lambda word: (-counts[word], word))  # most frequent first, like GloVe


def _cooccurrence(corpus: list[list[str]], index: dict[str, int], window: int) -> np.ndarray:
    size = len(index)
    counts = np.zeros(size * size, dtype=np.float64)
    for distance in range(1, window + 1):
        left, right = [], []
        for sentence in corpus:
            ids = [index[t] for t in sentence if t in index]
            left.extend(ids[:-distance])
            right.extend(ids[distance:])
        pairs = np.asarray(left, dtype=np.int64) * size + np.asarray(right, dtype=np.int64)
        counts += np.bincount(pairs, minlength=size * size) / distance
    matrix = counts.reshape(size, size)
    return matrix + matrix.T  # symmetric window


def _ppmi(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    total = counts.sum()
    word_p = counts.sum(axis=1) / total
    context = counts.sum(axis=0) ** alpha
    context_p = context / context.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(counts / total) - np.log(word_p)[:, None] - np.log(context_p)[None, :]
    return np.maximum(pmi, 0.0)


def _randomized_svd(matrix: np.ndarray, rank: int, seed: int, n_iter: int = 6):
    """Top ``rank`` singular triplets by a seeded randomised range finder (Halko et al.)."""
    rng = np.random.default_rng(seed)
    sketch = matrix @ rng.standard_normal((matrix.shape[1], rank + 20))
    for _ in range(n_iter):
        sketch, _ = np.linalg.qr(sketch)
        sketch, _ = np.linalg.qr(matrix @ (matrix.T @ sketch))
    basis, _ = np.linalg.qr(sketch)
    u_small, s, _ = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    return (basis @ u_small)[:, :rank], s[:rank]


def build(
    n_sentences: int = DEFAULTS["n_sentences"],
    dim: int = DEFAULTS["dim"],
    window: int = DEFAULTS["window"],
    min_count: int = DEFAULTS["min_count"],
    seed: int = DEFAULTS["seed"],
) -> PretrainedWordEmbeddings:
    """Pre-train embeddings on the generated corpus (PPMI + truncated SVD), in memory."""
    n_sentences = check_positive_int("n_sentences", n_sentences)
    dim = check_positive_int("dim", dim)
    window = check_positive_int("window", window)
    corpus = make_corpus(n_sentences, seed=seed)
    words = _vocabulary(corpus, min_count)
    if len(words) <= dim:
        raise ValueError(f"only {len(words)} words reach min_count={min_count}; need > dim={dim}")
    index = {word: i for i, word in enumerate(words)}
    ppmi = _ppmi(_cooccurrence(corpus, index, window))
    u, s = _randomized_svd(ppmi, dim, seed)
    vectors = u * np.sqrt(s)
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(dim)])
    return PretrainedWordEmbeddings(words, vectors * signs, source="build_embeddings")


def card(embeddings: PretrainedWordEmbeddings, settings: dict) -> dict:
    """The model card stored next to the vectors."""
    return {
        "name": "course_glove_50d",
        "format": "GloVe text: one 'word v1 ... vd' line per word, UTF-8, most frequent first",
        "words": len(embeddings),
        "dimension": embeddings.dim,
        "corpus": (
            f"course_utils.datasets.text.make_corpus(n_sentences={settings['n_sentences']}, "
            f"seed={settings['seed']}): synthetic product and service reviews, unlabelled"
        ),
        "method": (
            f"co-occurrence counts within {settings['window']} tokens weighted 1/distance, "
            "PPMI with context smoothing 0.75, randomised truncated SVD, vectors U*sqrt(S)"
        ),
        "settings": settings,
        "command": "python -m course_utils.transfer.build_embeddings",
        "reproducibility": "bit-for-bit on the same NumPy/BLAS; cosine similarities within 1e-3",
        "held_out_words": (
            "the corpus uses every sentiment word; the labelled training reviews of notebook 04 "
            "never use HELD_OUT_POSITIVE / HELD_OUT_NEGATIVE of course_utils.datasets.text"
        ),
        "intended_use": "teaching: notebook 04, sentiment analysis with pre-trained embeddings",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=EMBEDDINGS_PATH)
    for name, value in DEFAULTS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=value)
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in DEFAULTS}
    start = time.perf_counter()
    embeddings = build(**settings)
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    embeddings.save(args.out)
    card_path = args.out.with_name(args.out.name.removesuffix(".txt") + ".card.json")
    card_path.write_text(json.dumps(card(embeddings, settings), indent=2) + "\n")
    print(f"{len(embeddings)} words x {embeddings.dim} dims -> {args.out} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
