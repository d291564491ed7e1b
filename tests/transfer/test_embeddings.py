"""PretrainedWordEmbeddings: GloVe / word2vec text files, bad input, the shipped vectors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.datasets.text import (
    HELD_OUT_NEGATIVE,
    HELD_OUT_POSITIVE,
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
)
from course_utils.transfer import build_embeddings
from course_utils.transfer.embeddings import PretrainedWordEmbeddings

SHIPPED = build_embeddings.EMBEDDINGS_PATH
CARD = SHIPPED.with_name("course_glove_50d.card.json")


def write(tmp_path: pathlib.Path, text: str | bytes, name: str = "vectors.txt") -> pathlib.Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


GLOVE = "king 0.5 1.0 0.0\nqueen 0.5 0.9 0.1\napple -1.0 0.0 0.25\n"


# ---------------------------------------------------------------------- reading good files
def test_glove_text_file_is_read_word_by_word(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, GLOVE))
    assert emb.words == ("king", "queen", "apple")
    assert emb.dim == 3 and len(emb) == 3
    np.testing.assert_array_equal(emb.vector("apple"), np.array([-1.0, 0.0, 0.25], np.float32))


def test_word2vec_header_is_recognised_and_checked(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, "3 3\n" + GLOVE))
    assert emb.words == ("king", "queen", "apple")
    gensim_style = "3 3\n" + GLOVE.replace("\n", " \n")  # gensim ends lines with a space
    trailing = PretrainedWordEmbeddings.load(write(tmp_path, gensim_style, name="gensim.txt"))
    np.testing.assert_array_equal(trailing.vectors, emb.vectors)
    explicit = PretrainedWordEmbeddings.load(write(tmp_path, "3 3\n" + GLOVE), format="word2vec")
    np.testing.assert_array_equal(explicit.vectors, emb.vectors)


def test_save_then_load_round_trips_both_formats(tmp_path):
    rng = np.random.default_rng(0)
    original = PretrainedWordEmbeddings(["a", "b", "c", "d"], rng.normal(size=(4, 5)))
    for fmt in ("glove", "word2vec"):
        path = tmp_path / f"{fmt}.txt"
        original.save(path, format=fmt)
        loaded = PretrainedWordEmbeddings.load(path)
        assert loaded.words == original.words
        np.testing.assert_allclose(loaded.vectors, original.vectors, atol=1e-6)


WORDS = st.text(
    st.characters(whitelist_categories=("L", "N", "P", "S", "M")), min_size=1, max_size=12
)


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=20, unique=True),
    dim=st.integers(min_value=2, max_value=6),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_any_unicode_vocabulary_round_trips(tmp_path_factory, words, dim, seed):
    vectors = np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32)
    path = tmp_path_factory.mktemp("roundtrip") / "vectors.txt"
    PretrainedWordEmbeddings(words, vectors).save(path)
    loaded = PretrainedWordEmbeddings.load(path)
    assert loaded.words == tuple(words)
    np.testing.assert_allclose(loaded.vectors, vectors, atol=1e-6)


def test_unicode_words_bom_crlf_and_blank_lines(tmp_path):
    text = "\ufeffcafé 1 0\r\nnaïve 0 1\r\n\r\n日本 1 1\r\nno\u00a0break 2 2\r\n"
    emb = PretrainedWordEmbeddings.load(write(tmp_path, text))
    assert emb.words == ("café", "naïve", "日本", "no\u00a0break")
    np.testing.assert_array_equal(emb.vector("日本"), [1.0, 1.0])


def test_lowercase_option_merges_case_variants_first_wins(tmp_path):
    path = write(tmp_path, "Apple 1 0\napple 0 1\nPear 2 2\n")
    cased = PretrainedWordEmbeddings.load(path)
    assert "apple" in cased and "Apple" in cased and "pear" not in cased
    lower = PretrainedWordEmbeddings.load(path, lowercase=True)
    assert lower.words == ("apple", "pear")
    assert lower.merged_by_lowercasing == 1
    np.testing.assert_array_equal(lower.vector("APPLE"), [1.0, 0.0])  # first line kept
    assert "PEAR" in lower


# ---------------------------------------------------------------------- bad files
BAD_FILES = {
    "empty": (b"", "empty"),
    "only blank lines": (b"\n\n  \n", "empty"),
    "header only": (b"2 3\n", "empty"),
    "word without numbers": (b"king 1 2\nqueen\n", "line 2"),
    "not a number": (b"king 1 2\nqueen 1 x\n", "line 2"),
    "nan": (b"king 1 2\nqueen nan 1\n", "line 2"),
    "inconsistent dimension": (b"king 1 2\nqueen 1 2\napple 1 2 3\n", "line 3"),
    "double space": (b"king 1 2\nqueen  1 2\n", "line 2"),
    "header dimension differs": (b"2 3\nking 1 2 3\nqueen 1 2\n", "line 3"),
    "header count differs": (b"5 2\nking 1 2\nqueen 1 2\n", "line 1"),
    "latin-1 bytes": (b"king 1 2\ncaf\xe9 1 2\n", "line 2"),
    "tab after the word": (b"king 1 2\ncat\t0.25 -1.5\n", "line 2: a tab at column 4"),
    "tab in the first line": (b"cat\t0.25 -1.5\n", "line 1: a tab at column 4"),
    "tab between numbers": (b"king 1 2\nqueen 1\t2\n", "line 2: a tab at column 8"),
    "carriage return inside": (b"king 1 2\nqueen\r1 2\n", "line 2: a carriage return"),
    "form feed": (b"king\x0c1 2\n", "line 1: a form feed"),
    "superscript header": ("\u00b2 2\nking 1 2\nqueen 3 4\n".encode(), "line 1: '\u00b2 2'"),
    "arabic-indic header": ("\u0662 2\nking 1 2\nqueen 3 4\n".encode(), "ASCII integers"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_raises_value_error_naming_file_and_line(tmp_path, case):
    content, where = BAD_FILES[case]
    path = write(tmp_path, content, name="bad_vectors.txt")
    with pytest.raises(ValueError) as error:
        PretrainedWordEmbeddings.load(path)
    message = str(error.value)
    assert "bad_vectors.txt" in message and where in message, message


def test_whitespace_other_than_a_space_never_loads_a_wrong_word(tmp_path):
    """Refused, never read as the word 'cat\\t0.25' of dimension 1."""
    path = write(tmp_path, "cat\t0.25 -1.5\n")
    with pytest.raises(ValueError, match=r"vectors\.txt, line 1: a tab at column 4; tokens must"):
        PretrainedWordEmbeddings.load(path)
    # Trailing tabs and spaces at the end of a line are still ignored.
    emb = PretrainedWordEmbeddings.load(write(tmp_path, "cat 0.25 -1.5\t \ndog 1 2\t\n"))
    assert emb.words == ("cat", "dog") and emb.dim == 2


def test_a_non_ascii_digit_header_names_file_and_line_in_every_format(tmp_path):
    path = write(tmp_path, "\u00b2 2\nking 1 2\nqueen 3 4\n", name="w2v.txt")
    for fmt in ("auto", "word2vec"):
        with pytest.raises(ValueError, match=r"w2v\.txt, line 1: .*not two ASCII integers"):
            PretrainedWordEmbeddings.load(path, format=fmt)
    # As GloVe (no header) the same line is the word '\u00b2' with a 1-number vector.
    glove = write(tmp_path, "\u00b2 2\nking 1\n", name="glove.txt")
    assert PretrainedWordEmbeddings.load(glove, format="glove").words == ("\u00b2", "king")


def test_a_directory_is_named_as_a_directory(tmp_path):
    (tmp_path / "glove.6B.50d.txt").write_text(GLOVE, encoding="utf-8")
    with pytest.raises(IsADirectoryError, match=r"is a directory, not an embeddings file.*glove"):
        PretrainedWordEmbeddings.load(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        PretrainedWordEmbeddings.load(empty)


def test_word2vec_format_requires_a_header(tmp_path):
    with pytest.raises(ValueError, match="line 1.*header"):
        PretrainedWordEmbeddings.load(write(tmp_path, GLOVE), format="word2vec")


def test_duplicate_word_is_an_error_naming_both_lines(tmp_path):
    path = write(tmp_path, "king 1 2\nqueen 3 4\nking 5 6\n")
    with pytest.raises(ValueError, match=r"'king' on line 3 already appeared on line 1"):
        PretrainedWordEmbeddings.load(path)


def test_duplicates_first_keeps_the_first_line_and_counts_the_rest(tmp_path):
    path = write(tmp_path, "king 1 2\nqueen 3 4\nking 5 6\nking 7 8\n")
    emb = PretrainedWordEmbeddings.load(path, duplicates="first")
    assert emb.words == ("king", "queen") and emb.skipped_duplicates == 2
    np.testing.assert_array_equal(emb.vector("king"), [1.0, 2.0])


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        PretrainedWordEmbeddings.load(tmp_path / "nowhere.txt")
    path = write(tmp_path, GLOVE)
    with pytest.raises(ValueError, match="format"):
        PretrainedWordEmbeddings.load(path, format="fasttext")
    with pytest.raises(ValueError, match="duplicates"):
        PretrainedWordEmbeddings.load(path, duplicates="last")
    with pytest.raises(ValueError, match="one row per word"):
        PretrainedWordEmbeddings(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="appears twice"):
        PretrainedWordEmbeddings(["A", "a"], np.zeros((2, 2)), lowercase=True)
    with pytest.raises(ValueError, match="non-empty"):
        PretrainedWordEmbeddings(["a", ""], np.zeros((2, 2)))


# ---------------------------------------------------------------------- queries
def test_vector_is_a_copy_and_unknown_words_raise_key_error(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, GLOVE))
    emb.vector("king")[:] = 99
    assert emb.vector("king")[0] == 0.5
    with pytest.raises(KeyError, match="prince"):
        emb.vector("prince")


def test_most_similar_excludes_the_word_and_sorts_by_cosine(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, GLOVE))
    neighbours = emb.most_similar("king", k=5)
    assert [w for w, _ in neighbours] == ["queen", "apple"]  # k capped at the other words
    assert neighbours[0][1] > neighbours[1][1]
    assert neighbours[0][1] == pytest.approx(
        np.dot([0.5, 1, 0], [0.5, 0.9, 0.1])
        / np.linalg.norm([0.5, 1, 0])
        / np.linalg.norm([0.5, 0.9, 0.1]),
        abs=1e-6,
    )
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        emb.most_similar("king", k=0)
    for bad in (1.0, True, "2"):
        with pytest.raises(TypeError, match="k must be an int"):
            emb.most_similar("king", k=bad)
    assert len(emb.most_similar("king", k=np.int64(1))) == 1  # NumPy integers are ints


def test_embedding_matrix_counts_hits_and_misses(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, GLOVE))
    result = emb.embedding_matrix(["", "[UNK]", "queen", "pear", "king"])
    assert (result.hits, result.misses) == (2, 3)
    assert result.missing == ("", "[UNK]", "pear")
    np.testing.assert_array_equal(result.matrix[2], emb.vector("queen"))
    np.testing.assert_array_equal(result.matrix[[0, 1, 3]], 0.0)
    assert result.matrix.shape == (5, 3) and result.matrix.dtype == np.float32


def test_embedding_matrix_random_oov_is_seeded(tmp_path):
    emb = PretrainedWordEmbeddings.load(write(tmp_path, GLOVE))
    first = emb.embedding_matrix(["pear", "king"], oov="random", seed=3)
    again = emb.embedding_matrix(["pear", "king"], oov="random", seed=3)
    np.testing.assert_array_equal(first.matrix, again.matrix)
    assert np.any(first.matrix[0] != 0) and first.oov == "random"
    with pytest.raises(ValueError, match="oov"):
        emb.embedding_matrix(["king"], oov="mean")


# ---------------------------------------------------------------------- the shipped vectors
def test_shipped_embeddings_are_small_and_match_their_card():
    assert SHIPPED.stat().st_size < 3_000_000
    card = json.loads(CARD.read_text(encoding="utf-8"))
    emb = PretrainedWordEmbeddings.load(SHIPPED)
    assert (card["words"], card["dimension"]) == (len(emb), emb.dim) == (len(emb), 50)
    assert card["command"] == "python -m course_utils.transfer.build_embeddings"
    for word in HELD_OUT_POSITIVE + HELD_OUT_NEGATIVE:
        assert word in emb


def test_shipped_held_out_words_sit_with_synonyms_of_their_polarity():
    emb = PretrainedWordEmbeddings.load(SHIPPED)
    sentiment = POSITIVE_WORDS + NEGATIVE_WORDS
    unit = np.stack([emb.vector(w) / np.linalg.norm(emb.vector(w)) for w in sentiment])
    for word in HELD_OUT_POSITIVE + HELD_OUT_NEGATIVE:
        same = POSITIVE_WORDS if word in POSITIVE_WORDS else NEGATIVE_WORDS
        scores = unit @ unit[sentiment.index(word)]
        ranked = [sentiment[i] for i in np.argsort(-scores) if sentiment[i] != word]
        assert all(w in same for w in ranked[:5]), (word, ranked[:5])
    neighbours = [w for w, _ in emb.most_similar("superb", k=3)]
    assert all(w in POSITIVE_WORDS for w in neighbours), neighbours


def test_build_command_reproduces_the_shipped_file(tmp_path):
    rebuilt = build_embeddings.build()
    shipped = PretrainedWordEmbeddings.load(SHIPPED)
    assert rebuilt.words == shipped.words

    def cosines(vectors: np.ndarray) -> np.ndarray:
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return unit @ unit.T

    difference = np.abs(cosines(rebuilt.vectors) - cosines(shipped.vectors)).max()
    assert difference < 1e-3, f"cosine similarities differ by {difference:.1e}"


def test_build_command_line_writes_vectors_and_card(tmp_path, capsys):
    out = tmp_path / "tiny.txt"
    args = ["--out", str(out), "--n-sentences", "3000", "--dim", "8"]
    assert build_embeddings.main(args) == 0
    emb = PretrainedWordEmbeddings.load(out)
    card = json.loads((tmp_path / "tiny.card.json").read_text(encoding="utf-8"))
    assert emb.dim == 8 and card["words"] == len(emb) and card["settings"]["n_sentences"] == 3000
    assert "tiny.txt" in capsys.readouterr().out


def test_build_rejects_bad_settings():
    with pytest.raises(ValueError, match="dim"):
        build_embeddings.build(n_sentences=50, dim=10_000)
    with pytest.raises(ValueError, match="window"):
        build_embeddings.build(window=0)
    with pytest.raises(TypeError, match="window must be an int"):
        build_embeddings.build(window=2.0)
    with pytest.raises(TypeError, match="dim must be an int"):
        build_embeddings.build(dim=True)
