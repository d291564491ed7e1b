"""Wrong answers students really write for notebooks/04_sentiment_embeddings.ipynb."""

_EX1_HEAD = (
    '# abysmal_negative = ...  (how many of the 5 nearest neighbours of "abysmal" are '
    "NEGATIVE_WORDS)\n"
)
_EX2_HEAD = """\
exercise_review = "The phone is SUPERB; the spa was gorgeous!"
# review_vocabulary = [...]  (the review's distinct words, as TextVectorization sees them)
# review_matrix = embeddings.embedding_matrix(review_vocabulary, ...)
"""
_EX2_TAIL = 'print(review_matrix, "| missing:", review_matrix.missing)\n'
_EX3_HEAD = (
    "# def train_on_few(texts, labels): ...  (build, train on texts/labels, return the model)\n"
)
_EX3_TAIL = """\


tiny_model = train_on_few(train.head(20).texts, train.head(20).labels)
print(f"20 labelled reviews -> held-out accuracy "
      f"{tiny_model.accuracy(held_out.texts, held_out.labels):.2f}")
"""

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            'counts all five neighbours, although "refund" is not a sentiment word',
            _EX1_HEAD + 'abysmal_negative = len(embeddings.most_similar("abysmal", k=5))\n',
        ),
        (
            "off by one: counts among six neighbours (k=6)",
            _EX1_HEAD
            + 'abysmal_neighbours = [word for word, _ in embeddings.most_similar("abysmal", k=6)]\n'
            "abysmal_negative = sum(word in NEGATIVE_WORDS for word in abysmal_neighbours)\n",
        ),
    ],
    "ex2-answer": [
        (
            "unknown words get all-zero rows (the default oov='zeros')",
            _EX2_HEAD + "review_vocabulary = list(dict.fromkeys(tokenize(exercise_review)))\n"
            "review_matrix = embeddings.embedding_matrix(review_vocabulary)\n" + _EX2_TAIL,
        ),
        (
            "the vocabulary keeps the review's capitals (split on spaces, punctuation removed)",
            _EX2_HEAD + 'review_vocabulary = list(dict.fromkeys(exercise_review.replace(";", "")'
            '.replace("!", "").split()))\n'
            'review_matrix = embeddings.embedding_matrix(review_vocabulary, oov="random", seed=0)\n'
            + _EX2_TAIL,
        ),
    ],
    "ex3-answer": [
        (
            "too few epochs: the default 30, only 60 steps on 20 reviews",
            _EX3_HEAD
            + """\
def train_on_few(texts, labels):
    keras.utils.set_random_seed(0)
    model = SentimentAnalysisModel(embeddings, seed=0)
    model.train(texts, labels, seed=0)
    return model
"""
            + _EX3_TAIL,
        ),
        (
            "trains on 20 held-out reviews instead of the reviews it is given",
            _EX3_HEAD
            + """\
def train_on_few(texts, labels):
    keras.utils.set_random_seed(0)
    model = SentimentAnalysisModel(embeddings, seed=0)
    model.train(held_out.texts[:20], held_out.labels[:20], epochs=100, seed=0)
    return model
"""
            + _EX3_TAIL,
        ),
    ],
}
