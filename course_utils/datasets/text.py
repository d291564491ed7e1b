"""Seeded text for notebook 04: an unlabelled corpus and small labelled review sets.

The corpus stands in for the large unlabelled text that real word embeddings (GloVe, word2vec)
are trained on. It follows the distributional hypothesis on purpose: synonyms such as "superb"
and "great" appear next to the same product names and the same polarity phrases
("worth every penny", "i asked for a refund"), so a method that learns from co-occurrence gives
them nearby vectors; each word also prefers some products a little more than others, so that
synonyms end up close but not identical. The labelled reviews are short and carry their
sentiment only through one sentiment word; the training split never uses the held-out words
(``HELD_OUT_POSITIVE``, ``HELD_OUT_NEGATIVE``), the held-out test split uses nothing else.

Everything is a pure function of its arguments and ``seed`` (no files, no network).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from typing import Any

import numpy as np

from course_utils.validation import check_int, check_positive_int

__all__ = [
    "POSITIVE_WORDS",
    "NEGATIVE_WORDS",
    "HELD_OUT_POSITIVE",
    "HELD_OUT_NEGATIVE",
    "Reviews",
    "brand_names",
    "make_corpus",
    "make_reviews",
    "tokenize",
]

HELD_OUT_POSITIVE = ("superb", "splendid", "terrific", "brilliant")
HELD_OUT_NEGATIVE = ("dreadful", "atrocious", "abysmal", "appalling")
_SEEN_POSITIVE = ("good", "great", "excellent", "wonderful", "fantastic", "amazing", "lovely",
                  "perfect", "awesome", "fabulous")  # fmt: skip
_SEEN_NEGATIVE = ("bad", "terrible", "awful", "horrible", "poor", "lousy", "disappointing",
                  "useless", "pathetic", "shoddy")  # fmt: skip
AFFINITY_SIGMA = 1.0
POSITIVE_WORDS = _SEEN_POSITIVE + HELD_OUT_POSITIVE
NEGATIVE_WORDS = _SEEN_NEGATIVE + HELD_OUT_NEGATIVE

_PRODUCTS = """phone laptop tablet camera charger headphones speaker keyboard monitor printer router
smartwatch television console mouse battery microphone projector drone pizza burger pasta salad
soup steak sushi coffee tea dessert cake sandwich curry noodles breakfast dinner bread wine hotel
room bed pool flight airline train taxi apartment hostel resort tour cruise delivery plumber bank
insurance gym salon dentist clinic mechanic courier subscription app website course tutor
electrician movie film book novel album concert show series game museum podcast documentary sofa
mattress chair lamp blender kettle toaster vacuum fridge oven heater desk pillow blanket shoes
jacket dress shirt jeans boots backpack umbrella watch sunglasses wallet scarf coat
sweater""".split()
_ASPECTS = """price quality design service staff packaging size colour sound screen taste location
value support manual setup battery portion view waiting""".split()
_OPENERS = """honestly overall frankly basically personally well so actually truly""".split()
_INTENSIFIERS = """very really quite extremely so pretty incredibly absolutely""".split()
_WHO = """i we my_sister my_brother my_wife my_husband my_friend my_boss my_neighbour my_kids
my_parents my_colleague""".split()
_TIMES = """yesterday today last_week last_month last_year this_morning on_monday on_tuesday
on_wednesday on_thursday on_friday on_saturday on_sunday in_january in_march in_june in_august
in_october in_december""".split()
_CITIES = """london paris berlin tokyo madrid rome boston chicago sydney toronto dublin lisbon
vienna prague oslo athens cairo delhi lima seoul denver austin miami seattle munich milan zurich
geneva bristol leeds""".split()
_CLAUSES: dict[int, Any] = {
    1: """i would recommend it to everyone | highly recommended | we will definitely come back |
        worth every penny | my family loved it | i am very happy with it | five stars from me |
        thank you so much | i will buy it again | best purchase this year |
        we enjoyed every minute | it exceeded my expectations | a real pleasure |
        i told all my friends about it""",
    0: """i want my money back | i asked for a refund | a complete waste of money |
        i returned it the next day | avoid it at all costs | one star from me |
        i complained to the manager | it broke after a week | i regret buying it | stay away |
        what a letdown | money down the drain | we left early | i sent it back""",
}
_CLAUSES = {
    p: [c.split() for c in text.replace("\n", " ").split("|")] for p, text in _CLAUSES.items()
}
_SYLLABLES = """ka lo zen vir mo ta rix no bel qu sa fi dor el ma tu vex pri lum ora gal
kin ner sol ber cor dan fen har jo lex mir nal pim ros tev ul wen yar zo""".split()


def brand_names(count: int = 1000, seed: int = 7) -> list[str]:
    """``count`` distinct made-up brand names (``"zenrix"``), the same list for the same seed.

    They give the vocabulary the size of a real one: many rare, sentiment-free words.
    """
    rng = random.Random(seed)
    names: dict[str, None] = {}
    reserved = set(POSITIVE_WORDS + NEGATIVE_WORDS + tuple(_PRODUCTS))
    while len(names) < count:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        if name not in reserved:
            names[name] = None
    return list(names)


def tokenize(text: str) -> list[str]:
    """Lower-case and split on anything that is not a letter or digit.

    For this ASCII corpus it gives the same tokens as Keras ``TextVectorization``'s default
    ``standardize="lower_and_strip_punctuation"`` followed by a whitespace split.
    """
    return re.findall(r"[a-z0-9]+", text.lower())


def _words(token: str) -> list[str]:
    return token.split("_")


def _affinity(words: tuple[str, ...], sigma: float = AFFINITY_SIGMA) -> dict[str, list[float]]:
    """Per product, cumulative weights over ``words``: synonyms prefer slightly different things.

    Without this every synonym would be used in exactly the same contexts and their vectors
    would coincide (cosine 1.0); real synonyms are close but not identical.
    """
    rng = random.Random(f"affinity-{sigma}")
    weights = {p: [rng.lognormvariate(0.0, sigma) for _ in words] for p in _PRODUCTS}
    return {p: list(itertools.accumulate(w)) for p, w in weights.items()}


def _pick(rng: random.Random, words: tuple[str, ...], weights: dict, product: str) -> str:
    return rng.choices(words, cum_weights=weights[product])[0]


def _sentence(rng: random.Random, brands: list[str], words: dict, weights: dict) -> list[str]:
    """One corpus sentence. Polarity-bearing templates pair a sentiment word with a clause."""
    p = rng.randrange(2)
    product, brand, aspect = rng.choice(_PRODUCTS), rng.choice(brands), rng.choice(_ASPECTS)
    s, s2 = _pick(rng, words[p], weights[p], product), _pick(rng, words[p], weights[p], product)
    clause = rng.choice(_CLAUSES[p])
    who, when, city = _words(rng.choice(_WHO)), _words(rng.choice(_TIMES)), rng.choice(_CITIES)
    intens = rng.choice(_INTENSIFIERS)
    kind = rng.randrange(10)
    if kind == 0:
        return [rng.choice(_OPENERS), "the", brand, product, "was", intens, s, *clause]
    if kind == 1:
        return ["the", product, "from", brand, "is", s, "and", s2, *clause]
    if kind == 2:
        return ["a", s, product, "in", city, *clause]
    if kind == 3:
        return [*who, "bought", "this", product, "in", city, *when, "and", "it", "was", s, *clause]
    if kind == 4:
        return ["the", aspect, "of", "the", brand, product, "is", intens, s, *clause]
    if kind == 5:
        return [*clause, "the", product, "was", s, "and", "the", aspect, "was", s2]
    if kind == 7:
        return [*who, "thought", "the", product, "was", intens, s, *clause]
    if kind == 6:
        # Negation: the opposite word, negated, next to this polarity's clause.
        opposite = _pick(rng, words[1 - p], weights[1 - p], product)
        return ["the", brand, product, "was", "not", opposite, *clause]
    # Neutral filler: products, brands, people, places and times without any opinion.
    return [*who, rng.choice(("ordered", "used", "tried", "booked", "saw")), "the", brand,
            product, *when, "in", city, "and", "checked", "the", aspect]  # fmt: skip


def make_corpus(n_sentences: int = 200_000, seed: int = 0) -> list[list[str]]:
    """The unlabelled pre-training corpus: ``n_sentences`` tokenised sentences.

    Uses every sentiment word, including the held-out ones. Deterministic in ``seed``.
    """
    check_positive_int("n_sentences", n_sentences)
    rng = random.Random(seed)
    brands = brand_names()
    words = {1: POSITIVE_WORDS, 0: NEGATIVE_WORDS}
    weights = {p: _affinity(w) for p, w in words.items()}
    return [_sentence(rng, brands, words, weights) for _ in range(n_sentences)]


@dataclasses.dataclass(frozen=True)
class Reviews:
    """Labelled review texts; ``labels`` is 1 for positive and 0 for negative."""

    texts: tuple[str, ...]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def head(self, n: int) -> Reviews:
        """The first ``n`` reviews (still balanced enough: labels alternate before shuffling)."""
        return Reviews(self.texts[:n], self.labels[:n])


_REVIEW_TEMPLATES = (
    "{opener} the {product} was {intens} {word}",
    "the {brand} {product} is {word}",
    "{who} thought the {product} was {word}",
    "a {intens} {word} {product}",
    "the {aspect} of this {product} is {word}",
)
_NEGATED_TEMPLATES = (
    "the {product} was not {word}",
    "the {brand} {product} is not {word}",
    "{who} thought the {product} was not {word}",
    "the {aspect} of this {product} is not {word}",
)


def make_reviews(n: int, *, split: str = "train", negated: bool = False, seed: int = 0) -> Reviews:
    """``n`` short labelled reviews whose sentiment is carried by one sentiment word.

    Args:
        n: number of reviews, half positive and half negative (rounded down for odd ``n``).
        split: ``"train"`` uses only the seen words (never a held-out one); ``"held_out"`` uses
            only ``HELD_OUT_POSITIVE`` / ``HELD_OUT_NEGATIVE``, words the training split lacks.
        negated: put ``not`` before the sentiment word, so that the label is the opposite of the
            word's polarity (shows the limit of averaging word vectors).
        seed: the same arguments always give the same reviews.
    """
    if split not in ("train", "held_out"):
        raise ValueError(f"split must be 'train' or 'held_out', got {split!r}")
    check_int("n", n, minimum=2)
    rng = random.Random(f"reviews-{split}-{negated}-{seed}")
    by_split: dict[str, dict[int, Any]] = {
        "train": {1: _SEEN_POSITIVE, 0: _SEEN_NEGATIVE},
        "held_out": {1: HELD_OUT_POSITIVE, 0: HELD_OUT_NEGATIVE},
    }
    pools = by_split[split]
    brands = brand_names()
    texts, labels = [], []
    for i in range(n):
        polarity = i % 2
        word = rng.choice(pools[polarity])
        templates = _NEGATED_TEMPLATES if negated else _REVIEW_TEMPLATES
        text = rng.choice(templates).format(
            opener=rng.choice(_OPENERS),
            product=rng.choice(_PRODUCTS),
            intens=rng.choice(_INTENSIFIERS),
            word=word,
            brand=rng.choice(brands),
            who=rng.choice(_WHO).replace("_", " "),
            aspect=rng.choice(_ASPECTS),
        )
        texts.append(text)
        labels.append(1 - polarity if negated else polarity)
    return Reviews(tuple(texts), np.asarray(labels, dtype=np.int64))
