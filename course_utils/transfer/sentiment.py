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

__all__ = ["SentimentPrediction", "SentimentAnalysisModel", "compare_embeddings",
           "sentiment_report"]  # fmt: skip

LABELS = ("negative", "positive")
_KINDS = {"pretrained (frozen)": ("pretrained", False), "random (trainable)": ("random", True)}
_TRAINERS: dict = {}  # compiled "token ids -> probability" models, by weight shapes (``_trainer``)
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
            raise ValueError(f"initialization: 'pretrained' or 'random', got {initialization!r}")
        keras = _keras()

        inputs = keras.Input(shape=(), dtype="string", name="text")
        vectorize = keras.layers.TextVectorization(
            vocabulary=list(embeddings.words),
            standardize="lower_and_strip_punctuation",  # Keras' default: lower-cases text
            output_sequence_length=sequence_length,
            name="vectorize",
        )
        vocabulary = vectorize.get_vocabulary()  # ["", "[UNK]", *words]
        outputs = _classifier(
            vectorize(inputs), len(vocabulary), embeddings.dim, hidden_units,
            trainable=trainable_embeddings, seed=seed,
        )  # fmt: skip
        self.model = keras.Model(inputs, outputs, name="sentiment")
        self.matrix = None
        if initialization == "pretrained":
            self.matrix = embeddings.embedding_matrix(vocabulary)
            self.model.get_layer("embedding").set_weights([self.matrix.matrix])

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
        """Fit the head (and the embeddings, if trainable) on labelled texts with Adam(0.01).

        Examples are reshuffled (seeded) every epoch; all epochs run as one ``fit`` call over a
        repeated ``tf.data`` pipeline of token ids, from a fresh optimizer on every call. Keras
        traces a training step on a model's first ``fit`` (slower than training these models),
        so models of one shape share a compiled trainer, with the result of fitting ``self.model``.
        """
        tf = tensorflow()

        y = self._check(texts, labels)
        x = self._check(texts)
        epochs = check_positive_int("epochs", epochs)
        ids = self.model.get_layer("vectorize")(tf.constant(list(x)))
        data = tf.data.Dataset.from_tensor_slices((ids, y))
        data = data.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
        trainer = _trainer(self.model)
        history = trainer.fit(data.batch(batch_size).repeat(epochs), shuffle=False, verbose=0)
        self.model.set_weights(trainer.get_weights())
        accuracy = self.accuracy(texts, labels)
        return {"loss": float(history.history["loss"][-1]), "accuracy": accuracy}

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
        """Load a model saved by ``save`` with ``safe_mode=True``, which refuses to deserialise a
        ``Lambda`` layer's Python bytecode; other files can still harm: load only files you trust.
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model file")
        keras = _keras()

        instance = cls.__new__(cls)
        instance.model, instance.matrix = keras.models.load_model(path, safe_mode=True), None
        return instance


def _classifier(ids, words: int, dim: int, units: int, *, trainable: bool, seed: int):
    """Token ids (0 = padding) -> ``Embedding`` -> average -> ``Dense`` (relu) -> sigmoid."""
    keras = _keras()

    glorot = keras.initializers.GlorotUniform
    x = keras.layers.Embedding(
        words, dim, mask_zero=True, trainable=trainable, name="embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed),
    )(ids)  # fmt: skip
    x = keras.layers.GlobalAveragePooling1D(name="average")(x)
    x = keras.layers.Dense(units, "relu", kernel_initializer=glorot(seed), name="hidden")(x)
    return keras.layers.Dense(1, "sigmoid", kernel_initializer=glorot(seed + 1), name="output")(x)


def _trainer(model):
    """The compiled trainer of ``model``'s shapes, given its weights and a reset optimizer."""
    keras = _keras()

    weights = model.get_weights()  # embedding, hidden kernel and bias, output kernel and bias
    trainable = model.get_layer("embedding").trainable
    key = (*(w.shape for w in weights), trainable)
    trainer = _TRAINERS.get(key)
    if trainer is None:
        ids = keras.Input(shape=(None,), dtype="int64", name="ids")
        (words, dim), hidden_units = weights[0].shape, weights[1].shape[1]
        trainer = _TRAINERS[key] = keras.Model(ids, _classifier(
            ids, words, dim, hidden_units, trainable=trainable, seed=0))  # fmt: skip
        trainer.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"],
                        steps_per_execution=32)  # fmt: skip
    trainer.set_weights(weights)
    for variable in trainer.optimizer.variables:
        if "learning_rate" not in variable.path:
            variable.assign(np.zeros(variable.shape, variable.dtype))
    return trainer


def compare_embeddings(
    embeddings: PretrainedWordEmbeddings, train, test, *, seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 30,
) -> dict[str, list[float]]:  # fmt: skip
    """Test accuracy of frozen pre-trained vs trainable random embeddings, one per seed (the
    global seeds too: ``tf.data``'s shuffle uses them); ``train`` and ``test`` are ``Reviews``."""
    keras = _keras()

    results: dict[str, list[float]] = {name: [] for name in _KINDS}
    for seed in seeds:
        for name, (init, trainable) in _KINDS.items():
            keras.utils.set_random_seed(seed)
            model = SentimentAnalysisModel(embeddings, initialization=init, seed=seed,
                                           trainable_embeddings=trainable)  # fmt: skip
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
