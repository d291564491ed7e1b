"""``NewTaskModel``: a frozen pre-trained base with new task-specific layers on top.

Raw images -> preprocessing -> the frozen ``PretrainedModel`` -> the task layers -> logits,
built with the functional API; ``train`` fits the task layers, ``fine_tune`` unfreezes the
base's top block with a low learning rate. Taught in notebook 03; notebook 05 builds on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_utils._tf import keras as _keras
from course_utils.transfer.keras_utils import compile_classifier
from course_utils.transfer.pretrained import PretrainedModel
from course_utils.validation import check_int

__all__ = ["NewTaskModel", "TaskLayers", "head_layers"]


def head_layers(features, num_classes: int, hidden_units: int, dropout: float, *, prefix: str):
    """The task-specific layers on a feature tensor: [Dense relu] -> [Dropout] -> logits.

    Shared by ``NewTaskModel`` (on the base's output) and ``TaskSpecificModel`` (on cached
    features); layer names start with ``prefix``.
    """
    layers = _keras().layers

    x = features
    if hidden_units:
        x = layers.Dense(hidden_units, activation="relu", name=f"{prefix}_dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{prefix}_dropout")(x)
    return layers.Dense(num_classes, name=f"{prefix}_logits")(x)


class TaskLayers:
    """What the task-specific layers are: classes, hidden units, dropout, and the built model.

    The one place both ``NewTaskModel`` (the layers on the base's output) and
    ``TaskSpecificModel`` (the layers alone, on cached features) keep and validate these.
    """

    def __init__(self, num_classes: int, *, hidden_units: int, dropout: float, name: str):
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.name = name
        self.model: Any = None  # the Keras model, built on first use

    def task_layers(self, features, *, prefix: str):
        """Apply fresh task-specific layers (``head_layers``) to the tensor ``features``."""
        return head_layers(
            features, self.num_classes, self.hidden_units, self.dropout, prefix=prefix
        )


class NewTaskModel(TaskLayers):
    """The new task's model: raw images -> preprocessing -> frozen base -> task layers -> logits.

    ``add_task_specific_layers`` builds it with the functional API; ``train`` fits the task
    layers with the base frozen; ``fine_tune`` unfreezes the base's top block and continues with
    a low learning rate. The output is logits: the loss uses ``from_logits=True`` and
    ``predict_proba`` applies the softmax, once.
    """

    def __init__(
        self,
        pretrained: PretrainedModel,
        num_classes: int,
        *,
        hidden_units: int = 32,
        dropout: float = 0.2,
        name: str = "new_task_model",
    ):
        if not isinstance(pretrained, PretrainedModel):
            raise TypeError(
                f"pretrained must be a PretrainedModel, got {type(pretrained).__name__}"
            )
        super().__init__(num_classes, hidden_units=hidden_units, dropout=dropout, name=name)
        self.pretrained = pretrained

    def _head(self, features):
        return self.task_layers(features, prefix="task")

    def add_task_specific_layers(self):
        """Build (once) and return the end-to-end Keras model; the base starts frozen."""
        keras = _keras()

        if self.model is None:
            inputs = keras.Input(self.pretrained.input_shape, name="raw_image")
            x = self.pretrained.preprocessing_layer()(inputs)
            # training=False: the base always runs in inference mode (but see fine_tune).
            features = self.pretrained.base(x, training=False)
            self.model = keras.Model(inputs, self._head(features), name=self.name)
            self.pretrained.freeze()
        return self.model

    def compile(self, learning_rate: float = 1e-3) -> None:
        """(Re)compile: needed after every change of ``trainable`` for it to take effect."""
        compile_classifier(self.add_task_specific_layers(), learning_rate)

    def _fit(self, images, labels, *, epochs: int, batch_size: int, validation_data=None):
        images = self.pretrained.check_images(images)
        labels = np.asarray(labels)
        if labels.shape != (len(images),):
            raise ValueError(f"labels must be shaped ({len(images)},), got {labels.shape}")
        if validation_data is not None:
            validation_data = (self.pretrained.check_images(validation_data[0]), validation_data[1])
        return self.model.fit(
            images,
            labels,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=validation_data,
            verbose=0,
        )

    def train(
        self,
        images,
        labels,
        *,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        validation_data=None,
    ):
        """Freeze the base, recompile, fit the task layers; return the Keras ``History``."""
        self.add_task_specific_layers()
        self.pretrained.freeze()
        self.compile(learning_rate)
        return self._fit(
            images, labels, epochs=epochs, batch_size=batch_size, validation_data=validation_data
        )

    def fine_tune(
        self,
        images,
        labels,
        *,
        epochs: int = 5,
        batch_size: int = 32,
        learning_rate: float = 1e-4,
        layers: Sequence[str] | None = None,
        keep_batchnorm_frozen: bool = True,
        validation_data=None,
    ):
        """Unfreeze the base's top block, recompile with a low learning rate, fit again."""
        self.add_task_specific_layers()
        self.pretrained.unfreeze_top(layers, keep_batchnorm_frozen=keep_batchnorm_frozen)
        self.compile(learning_rate)
        return self._fit(
            images, labels, epochs=epochs, batch_size=batch_size, validation_data=validation_data
        )

    def predict_proba(self, images, *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities (softmax of the logits)."""
        keras = _keras()

        logits = self.add_task_specific_layers().predict(
            self.pretrained.check_images(images), batch_size=batch_size, verbose=0
        )
        return np.asarray(keras.ops.softmax(logits, axis=-1))

    def predict(self, images, *, batch_size: int = 256) -> np.ndarray:
        """Predicted class indices."""
        return self.predict_proba(images, batch_size=batch_size).argmax(axis=-1)

    def accuracy(self, images, labels) -> float:
        """Fraction of ``images`` whose predicted class equals ``labels``."""
        return float(np.mean(self.predict(images) == np.asarray(labels)))
