"""The sentiment corpus and labelled reviews: deterministic, and the held-out words stay out."""

from __future__ import annotations

import pytest

from course_utils.datasets.text import (
    HELD_OUT_NEGATIVE,
    HELD_OUT_POSITIVE,
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    brand_names,
    make_corpus,
    make_reviews,
    tokenize,
)

HELD_OUT = set(HELD_OUT_POSITIVE + HELD_OUT_NEGATIVE)
SENTIMENT = set(POSITIVE_WORDS + NEGATIVE_WORDS)


def test_corpus_is_deterministic_in_its_seed():
    assert make_corpus(500, seed=3) == make_corpus(500, seed=3)
    assert make_corpus(500, seed=3) != make_corpus(500, seed=4)
    assert brand_names(50) == brand_names(50) and len(set(brand_names(50))) == 50


def test_corpus_uses_the_held_out_words():
    tokens = {token for sentence in make_corpus(5000) for token in sentence}
    assert HELD_OUT <= tokens
    assert not (tokens & {"", " "})


def test_every_review_word_occurs_in_the_corpus():
    corpus_tokens = {token for sentence in make_corpus(20_000) for token in sentence}
    for split in ("train", "held_out"):
        for negated in (False, True):
            reviews = make_reviews(300, split=split, negated=negated)
            review_tokens = {t for text in reviews.texts for t in tokenize(text)}
            assert review_tokens <= corpus_tokens, review_tokens - corpus_tokens


def test_reviews_are_deterministic_and_balanced():
    first, again = make_reviews(100, seed=5), make_reviews(100, seed=5)
    assert first.texts == again.texts and (first.labels == again.labels).all()
    assert first.texts != make_reviews(100, seed=6).texts
    assert first.labels.sum() == 50 and len(first) == 100
    assert first.head(10).labels.sum() == 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_held_out_words_never_occur_in_the_training_split(seed):
    train = make_reviews(2000, split="train", seed=seed)
    for text in train.texts:
        assert not (set(tokenize(text)) & HELD_OUT), text


def test_held_out_split_carries_sentiment_only_by_held_out_words():
    test = make_reviews(500, split="held_out", seed=1)
    for text, label in zip(test.texts, test.labels, strict=True):
        words = set(tokenize(text)) & SENTIMENT
        assert len(words) == 1 and words <= HELD_OUT, text
        expected = HELD_OUT_POSITIVE if label == 1 else HELD_OUT_NEGATIVE
        assert words <= set(expected), (text, label)


def test_negated_reviews_flip_the_label():
    for text, label in zip(*vars(make_reviews(200, negated=True)).values(), strict=True):
        tokens = tokenize(text)
        word = (set(tokens) & SENTIMENT).pop()
        assert "not" in tokens
        assert label == (0 if word in POSITIVE_WORDS else 1)


def test_tokenize_lower_cases_and_drops_punctuation():
    assert tokenize("The Hotel was SUPERB, truly!") == ["the", "hotel", "was", "superb", "truly"]


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="split"):
        make_reviews(10, split="test")
    with pytest.raises(ValueError, match="n must"):
        make_reviews(1)
    with pytest.raises(ValueError, match="n_sentences"):
        make_corpus(0)


def test_wrong_types_raise_type_error():
    # The package's one rule (course_utils/validation.py): wrong type -> TypeError.
    with pytest.raises(TypeError, match="n must be an int"):
        make_reviews(10.0)
    with pytest.raises(TypeError, match="n_sentences"):
        make_corpus(True)
