"""The transfer-learning pattern: a frozen pre-trained base and a new task model on top.

``PretrainedModel`` wraps a base network that maps preprocessed images to a feature vector: load
it (the course's own ``data/pretrained/shapes_cnn.keras``, or a ``keras.applications`` network),
extract features, freeze it, unfreeze its top block. ``NewTaskModel`` adds task-specific layers
with the functional API (``new_task.py``), trains them with the base frozen, then fine-tunes
the top of the base with a low learning rate. Taught in notebook 03; notebook 05 builds on it.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence

import numpy as np

from course_utils._tf import keras as _keras
from course_utils.paths import PRETRAINED_DIR
from course_utils.transfer.applications import (
    APPLICATIONS,
    build_application,
    preprocess_images,
    weights_reachable,
)
from course_utils.validation import check_positive_int

__all__ = [
    "APPLICATIONS",
    "DEFAULT_BASE_PATH",
    "preprocess_images",
    "weights_reachable",
    "PretrainedModel",
]

DEFAULT_BASE_PATH = PRETRAINED_DIR / "shapes_cnn.keras"


class PretrainedModel:
    """A pre-trained base: preprocessed images in, one feature vector per image out."""

    def __init__(self, base, *, preprocessing: str = "tf", top_block: Sequence[str] = ()):
        keras = _keras()

        if not isinstance(base, keras.Model):
            raise TypeError(f"base must be a keras.Model, got {type(base).__name__}")
        if len(base.output.shape) != 2:
            raise ValueError(
                f"base must output one feature vector per image (rank 2), got {base.output.shape}"
            )
        preprocess_images(np.zeros((1, 1, 1, 3)), mode=preprocessing)  # validates the mode
        names = {layer.name for layer in base.layers}
        missing = [name for name in top_block if name not in names]
        if missing:
            raise ValueError(f"top_block names layers the base lacks: {missing}")
        self.base = base
        self.preprocessing = preprocessing
        self.top_block = tuple(top_block) or tuple(layer.name for layer in base.layers[-3:])
        self.card: dict = {}
        self.classifier = None  # the whole source classifier, when loaded with from_file

    @classmethod
    def from_file(
        cls, path: str | pathlib.Path = DEFAULT_BASE_PATH, *, feature_layer: str = "features"
    ) -> PretrainedModel:
        """Load a saved classifier (``.keras``, ``safe_mode=True``) up to ``feature_layer``.

        Reads the model card ``<name>.json`` next to it when present (``self.card``).
        """
        keras = _keras()

        path = pathlib.Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"{path}: expected a Keras 3 '.keras' file")
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no pre-trained base here; build it with "
                "`python -m course_utils.transfer.build_base`"
            )
        classifier = keras.saving.load_model(path, safe_mode=True, compile=False)
        try:
            features = classifier.get_layer(feature_layer).output
        except ValueError as error:
            raise ValueError(f"{path} has no layer named {feature_layer!r}") from error
        base = keras.Model(classifier.inputs, features, name=f"{classifier.name}_base")
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
        model = cls(base, top_block=card.get("top_block_layers", ()))
        model.card = card
        model.classifier = classifier
        return model

    @classmethod
    def from_application(
        cls,
        name: str = "MobileNetV2",
        *,
        weights: str | None = "imagenet",
        input_shape: tuple[int, int, int] = (96, 96, 3),
        offline: bool | None = None,
        timeout: float = 3.0,
        **kwargs,
    ) -> PretrainedModel:
        """Build a ``keras.applications`` network without its top, average-pooled to a vector.

        ``weights="imagenet"`` needs the internet (unless Keras has them cached); offline it
        raises a ``ConnectionError`` saying what to do instead. ``weights=None`` builds the same
        architecture with random weights, with no network; a path loads a local weights file.
        ``offline=True`` skips the connectivity probe (as if the network were down): no host
        lookup, no connection (``applications.network_guard`` shows it; notebook 05).
        """
        base, preprocessing, top_block = build_application(
            name,
            weights=weights,
            input_shape=input_shape,
            offline=offline,
            timeout=timeout,
            **kwargs,
        )
        return cls(base, preprocessing=preprocessing, top_block=top_block)

    def load_weights(self, path: str | pathlib.Path) -> None:
        """Load the base's weights from a Keras 3 ``.weights.h5`` file (same architecture)."""
        path = pathlib.Path(path)
        if not path.name.endswith(".weights.h5"):
            raise ValueError(f"{path}: Keras 3 weights files end in '.weights.h5'")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no weights file here")
        self.base.load_weights(path)

    # -- using the base -------------------------------------------------------------------
    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.base.input_shape[1:])

    @property
    def feature_dim(self) -> int:
        return int(self.base.output.shape[-1])

    def check_images(self, images) -> np.ndarray:
        """Return ``images`` as an array, or raise ``ValueError`` if they do not fit the base."""
        array = np.asarray(images)
        preprocess_images(array[:1] if array.ndim == 4 else array, mode="none")
        if tuple(array.shape[1:]) != self.input_shape:
            raise ValueError(
                f"images are {tuple(array.shape[1:])}, the base expects {self.input_shape}; "
                "make them at that size (e.g. target_task(..., image_size=...))"
            )
        return array

    def preprocess(self, images) -> np.ndarray:
        """Scale raw ``uint8`` images the way the base was trained to see them."""
        return preprocess_images(self.check_images(images), mode=self.preprocessing)

    def preprocessing_layer(self):
        """The same scaling as a Keras layer, for end-to-end models that take raw images."""
        layers = _keras().layers

        if self.preprocessing == "tf":
            return layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocess")
        return layers.Identity(name="preprocess")

    def extract_features(self, images, *, batch_size: int = 256) -> np.ndarray:
        """Features of ``images`` (base in inference mode): compute once, cache, train on them.

        The base is called directly, ``batch_size`` images at a time: unlike ``predict`` it traces
        no graph first (``predict`` traces one per new base, two when the last batch is smaller),
        and it gives the same features, bit for bit. An image's features do not depend on the
        other images of its batch.
        """
        batch_size = check_positive_int("batch_size", batch_size)
        inputs = self.preprocess(images)
        listed = isinstance(self.base.input, (list, tuple))  # a base with one named input
        chunks = [
            np.asarray(self.base([chunk] if listed else chunk, training=False))
            for chunk in (inputs[i : i + batch_size] for i in range(0, len(inputs), batch_size))
        ]
        if not chunks:
            return np.zeros((0, self.feature_dim), dtype=np.float32)
        return np.concatenate(chunks)

    # -- freezing -------------------------------------------------------------------------
    def freeze(self) -> None:
        """Make every base layer non-trainable (recompile the model that uses it afterwards)."""
        self.base.trainable = False

    def unfreeze_top(
        self, layers: Sequence[str] | None = None, *, keep_batchnorm_frozen: bool = True
    ) -> list[str]:
        """Unfreeze ``layers`` (default: the top block), keeping BatchNormalization frozen.

        With ``keep_batchnorm_frozen=False`` unfrozen BatchNormalization layers update their
        moving statistics during ``fit`` even though the base is called with
        ``training=False`` (keras-team/keras#20285): the trap notebook 03 shows.
        Returns the names of the layers left trainable.
        """
        keras = _keras()

        names = tuple(layers) if layers is not None else self.top_block
        known = {layer.name for layer in self.base.layers}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(
                f"no layer(s) {unknown} in the base; its top block is {self.top_block}"
            )
        self.base.trainable = True
        trainable = []
        for layer in self.base.layers:
            is_bn = isinstance(layer, keras.layers.BatchNormalization)
            layer.trainable = layer.name in names and not (is_bn and keep_batchnorm_frozen)
            if layer.trainable and layer.weights:
                trainable.append(layer.name)
        return trainable

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of every base variable (BatchNormalization moving statistics included)."""
        return {variable.path: np.array(variable.numpy()) for variable in self.base.weights}

    @staticmethod
    def changed(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> list[str]:
        """Paths of variables that are not bitwise equal between two snapshots."""
        return [path for path in before if not np.array_equal(before[path], after[path])]

    def parameter_counts(self) -> dict[str, int]:
        """Trainable and non-trainable parameter counts of the base as it is now."""
        trainable = sum(int(np.prod(v.shape)) for v in self.base.trainable_weights)
        frozen = sum(int(np.prod(v.shape)) for v in self.base.non_trainable_weights)
        return {"trainable": trainable, "non_trainable": frozen}
