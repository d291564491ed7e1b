"""``SentimentAnalysisModel``: a small classifier on top of pre-trained word embeddings.

Text -> Keras ``TextVectorization`` (vocabulary = the embeddings' words) -> ``Embedding``
initialised from the pre-trained matrix and frozen -> average over the words -> a small dense
head -> probability that the text is positive. Because the vocabulary comes from the
embeddings, a word that never occurs in the labelled examples still has a meaningful vector.
Taught in notebook 04.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Mapping, Sequence

import numpy as np

from course_utils._tf import keras as _keras
from course_utils._tf import tensorflow
from course_utils.transfer.embeddings import PretrainedWordEmbeddings
from course_utils.validation import check_positive_int

__all__ = [
    "SentimentPrediction",
    "SentimentAnalysisModel",
    "compare_embeddings",
    "sentiment_report",
]

LABELS = ("negative", "positive")
# The characters Keras' "lower_and_strip_punctuation" removes.
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


@dataclasses.dataclass(frozen=True)
class SentimentPrediction:
    """A predicted label and the model's probability that the text is positive."""

    label: str
    probability: float

    def __str__(self) -> str:
        return f"{self.label} (p(positive) = {self.probability:.2f})"


class SentimentAnalysisModel:
    """Binary sentiment classifier whose word vectors come from ``PretrainedWordEmbeddings``.

    Args:
        embeddings: the pre-trained vectors; their words form the vocabulary.
        initialization: ``"pretrained"`` copies the vectors into the ``Embedding`` layer;
            ``"random"`` keeps the same vocabulary but starts from random vectors (the
            baseline without transfer).
        trainable_embeddings: let training change the word vectors (default: frozen).
        sequence_length: texts are cut or padded to this many tokens.
        hidden_units: width of the dense layer of the head.
        seed: seeds the random initialisers.
    """

    def __init__(
        self,
        embeddings: PretrainedWordEmbeddings,
        *,
        initialization: str = "pretrained",
        trainable_embeddings: bool = False,
        sequence_length: int = 24,
        hidden_units: int = 16,
        seed: int = 0,
    ) -> None:
        if not isinstance(embeddings, PretrainedWordEmbeddings):
            raise TypeError(f"embeddings must be PretrainedWordEmbeddings, got {embeddings!r}")
        if initialization not in ("pretrained", "random"):
            raise ValueError(
                f"initialization must be 'pretrained' or 'random', got {initialization!r}"
            )
        keras = _keras()

        inputs = keras.Input(shape=(), dtype="string", name="text")
        vectorize = keras.layers.TextVectorization(
            vocabulary=list(embeddings.words),
            standardize="lower_and_strip_punctuation",  # Keras' default: lower-cases text
            output_sequence_length=sequence_length,
            name="vectorize",
        )
        vocabulary = vectorize.get_vocabulary()  # ["", "[UNK]", *words]
        embed = keras.layers.Embedding(
            len(vocabulary),
            embeddings.dim,
            mask_zero=True,
            trainable=trainable_embeddings,
            embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed),
            name="embedding",
        )
        x = keras.layers.GlobalAveragePooling1D(name="average")(embed(vectorize(inputs)))
        x = keras.layers.Dense(
            hidden_units,
            activation="relu",
            kernel_initializer=keras.initializers.GlorotUniform(seed),
        )(x)
        outputs = keras.layers.Dense(
            1, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed + 1)
        )(x)
        self.model = keras.Model(inputs, outputs, name="sentiment")
        self.matrix = None
        if initialization == "pretrained":
            self.matrix = embeddings.embedding_matrix(vocabulary)
            embed.set_weights([self.matrix.matrix])
        self._compile()

    def _compile(self, learning_rate: float = 0.01) -> None:
        keras = _keras()

        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )

    @staticmethod
    def _check(texts: Sequence[str], labels: Sequence[int] | None = None) -> np.ndarray:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a sequence of str (wrap a single text in a list)")
        if len(texts) == 0:
            raise ValueError("texts is empty")
        if labels is None:
            return np.asarray(texts, dtype=object)
        array = np.asarray(labels)
        if array.shape != (len(texts),) or not np.isin(array, (0, 1)).all():
            raise ValueError(
                f"labels must be {len(texts)} values in {{0, 1}} (one per text), got {array!r}"
            )
        return array.astype("float32")

    def train(
        self,
        texts: Sequence[str],
        labels: Sequence[int],
        *,
        epochs: int = 30,
        batch_size: int = 16,
        seed: int = 0,
    ) -> dict[str, float]:
        """Fit the head (and the embeddings, if trainable) on labelled texts.

        The examples are reshuffled (seeded) every epoch and all epochs run as one Keras
        ``fit`` call over a repeated ``tf.data`` pipeline: Keras' fixed cost per epoch is
        paid once. Returns the final training loss and the training accuracy after fitting.
        """
        tf = tensorflow()

        y = self._check(texts, labels)
        x = self._check(texts)
        epochs = check_positive_int("epochs", epochs)
        data = (
            tf.data.Dataset.from_tensor_slices((tf.constant(list(x)), y))
            .shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .repeat(epochs)
        )
        history = self.model.fit(data, epochs=1, shuffle=False, verbose=0)
        return {
            "loss": float(history.history["loss"][-1]),
            "accuracy": self.accuracy(texts, labels),
        }

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of "positive" for each text, shape ``(len(texts),)``."""
        tf = tensorflow()

        x = self._check(texts)
        return self.model(tf.constant(list(x)), training=False).numpy().reshape(-1)

    def predict_sentiment(self, text: str) -> SentimentPrediction:
        """Label (``"positive"`` / ``"negative"``, threshold 0.5) and probability for one text."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        probability = float(self.predict_proba([text])[0])
        return SentimentPrediction(LABELS[int(probability >= 0.5)], probability)

    def unknown_words(self, text: str) -> list[str]:
        """The words of ``text`` that the model's vocabulary lacks (they all become "[UNK]")."""
        vocabulary = getattr(self, "_known", None)
        if vocabulary is None:  # cached: get_vocabulary() copies the whole table
            vocabulary = self._known = set(self.model.get_layer("vectorize").get_vocabulary()[2:])
        words = _PUNCTUATION.sub("", text.lower()).split()
        return [word for word in words if word not in vocabulary]

    def accuracy(self, texts: Sequence[str], labels: Sequence[int]) -> float:
        """Fraction of texts whose thresholded prediction equals the label."""
        y = self._check(texts, labels)
        return float(np.mean((self.predict_proba(texts) >= 0.5) == (y == 1)))

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Save the whole model (vocabulary included) as a ``.keras`` file."""
        path = pathlib.Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"{path}: the file name must end in .keras (Keras 3's format)")
        self.model.save(path)
        return path

    @classmethod
    def load(cls, path: str | pathlib.Path) -> SentimentAnalysisModel:
        """Load a model saved by ``save`` with ``safe_mode=True`` (no arbitrary code runs)."""
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model file")
        keras = _keras()

        instance = cls.__new__(cls)
        instance.model = keras.models.load_model(path, safe_mode=True)
        instance.matrix = None
        return instance


def compare_embeddings(
    embeddings: PretrainedWordEmbeddings,
    train,
    test,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 30,
) -> dict[str, list[float]]:
    """Test accuracy of frozen pre-trained vs trainable random embeddings, one per seed.

    ``train`` and ``test`` have ``.texts`` and ``.labels`` (``course_utils.datasets.text``).
    Used by notebook 04's measurement and its widget (labelled-set size -> accuracy).
    """
    keras = _keras()

    results: dict[str, list[float]] = {"pretrained (frozen)": [], "random (trainable)": []}
    for seed in seeds:
        for name, init, trainable in (
            ("pretrained (frozen)", "pretrained", False),
            ("random (trainable)", "random", True),
        ):
            keras.utils.set_random_seed(seed)
            model = SentimentAnalysisModel(
                embeddings, initialization=init, trainable_embeddings=trainable, seed=seed
            )
            model.train(train.texts, train.labels, epochs=epochs, seed=seed)
            results[name].append(model.accuracy(test.texts, test.labels))
    return results


def sentiment_report(models: Mapping[str, SentimentAnalysisModel], text: str) -> str:
    """Each model's prediction for ``text`` and the words it lacks (notebook 04's widget)."""
    lines = [f"text: {text!r}"]
    for name, model in models.items():
        unknown = ", ".join(model.unknown_words(text)) or "none"
        lines.append(f"{name:>22}: {model.predict_sentiment(text)}; unknown words: {unknown}")
    return "\n".join(lines)
