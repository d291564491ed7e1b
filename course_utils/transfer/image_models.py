"""The image-classification classes of notebook 05: a task head, and the whole classifier.

``TaskSpecificModel`` is the head on its own (feature vector in, class logits out), so that it can
be trained fast on cached base features. ``ImageClassificationModel`` joins a ``PretrainedModel``
and a ``TaskSpecificModel`` into one model that takes raw images: train, fine-tune, evaluate
(accuracy, confusion matrix, mistakes), save and load.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import numpy as np

from course_utils._tf import keras as _keras
from course_utils.transfer.keras_utils import compile_classifier
from course_utils.transfer.new_task import NewTaskModel, TaskLayers
from course_utils.transfer.pretrained import PretrainedModel
from course_utils.validation import check_int

__all__ = ["TaskSpecificModel", "ImageClassificationModel", "confusion_matrix", "top_classes"]


def _fit_full_batches(model, features, labels, rows, steps: int):
    """``steps`` full-batch updates on ``features[rows]``, as one epoch of repeated rows.

    One epoch: Keras' fixed per-epoch cost is paid once, not once per step.
    """
    repeated = np.tile(rows, steps)
    return model.fit(
        features[repeated],
        labels[repeated],
        batch_size=len(rows),
        epochs=1,
        shuffle=False,
        verbose=0,
    )


class TaskSpecificModel(TaskLayers):
    """The new task's layers: a feature vector in, one logit per class out."""

    def __init__(
        self,
        num_classes: int,
        *,
        hidden_units: int = 32,
        dropout: float = 0.2,
        name: str = "task_head",
    ):
        super().__init__(num_classes, hidden_units=hidden_units, dropout=dropout, name=name)

    def build(self, feature_dim: int):
        """Create the head (functional API) for features of size ``feature_dim``; return it."""
        keras = _keras()

        if self.model is not None:
            if self.model.input.shape[-1] != feature_dim:
                raise ValueError(
                    f"head already built for {self.model.input.shape[-1]} features, "
                    f"not {feature_dim}"
                )
            return self.model
        inputs = keras.Input((feature_dim,), name="features")
        logits = self.task_layers(inputs, prefix="head")
        self.model = keras.Model(inputs, logits, name=self.name)
        return self.model

    def train_on_features(
        self, features, labels, *, steps: int = 200, learning_rate: float = 1e-2, seed: int = 0
    ):
        """Fit the head on cached features (full batch, ``steps`` Adam steps); return History.

        The fast path: the base's features are computed once; only the head is trained.
        """
        keras = _keras()

        features = np.asarray(features, dtype=np.float32)
        labels = np.asarray(labels)
        if features.ndim != 2 or labels.shape != (len(features),):
            raise ValueError(
                f"features must be (n, d) and labels (n,), got {features.shape}, {labels.shape}"
            )
        model = self.build(features.shape[1])
        keras.utils.set_random_seed(seed)
        compile_classifier(model, learning_rate)
        return _fit_full_batches(model, features, labels, np.arange(len(features)), steps)

    def predict(self, features) -> np.ndarray:
        """Predicted class indices for feature vectors.

        The head is called directly (inference mode): a few dense layers on cached features
        cost less than the graph ``Model.predict`` would trace first.
        """
        if self.model is None:
            raise RuntimeError("the head is not built yet: call build() or train_on_features()")
        logits = self.model(np.asarray(features, dtype=np.float32), training=False)
        return np.asarray(logits).argmax(axis=-1)


def confusion_matrix(true, predicted, num_classes: int) -> np.ndarray:
    """``m[i, j]`` = how many images of class ``i`` were predicted as class ``j``."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    if true.shape != predicted.shape:
        raise ValueError(f"true {true.shape} and predicted {predicted.shape} differ in shape")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def top_classes(probabilities, class_names: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` most probable classes of ONE image, as ``(name, probability)``, best first.

    ``probabilities`` is one row of ``predict_proba`` (shape ``(num_classes,)``); notebook 05's
    widget shows them for the image it picks.
    """
    row = np.asarray(probabilities, dtype=float)
    if row.ndim != 1 or len(row) != len(class_names):
        raise ValueError(
            f"probabilities must be one row of {len(class_names)} class probabilities, "
            f"got shape {row.shape}; for image i of a batch pass probabilities[i]"
        )
    k = check_int("k", k, minimum=1)
    order = np.argsort(-row, kind="stable")[:k]
    return [(class_names[i], float(row[i])) for i in order]


class ImageClassificationModel(NewTaskModel):
    """Raw images -> preprocessing -> pre-trained base -> ``TaskSpecificModel`` -> logits."""

    def __init__(
        self,
        pretrained: PretrainedModel,
        task: TaskSpecificModel,
        class_names: Sequence[str],
        *,
        name: str = "image_classifier",
    ):
        if not isinstance(task, TaskSpecificModel):
            raise TypeError(f"task must be a TaskSpecificModel, got {type(task).__name__}")
        if len(class_names) != task.num_classes:
            raise ValueError(
                f"{len(class_names)} class names for a head with {task.num_classes} classes"
            )
        super().__init__(pretrained, task.num_classes, name=name)
        self.task = task
        self.class_names = tuple(class_names)

    def _head(self, features):
        return self.task.build(self.pretrained.feature_dim)(features)

    def evaluate(self, images, labels) -> dict:
        """Accuracy, confusion matrix and the indices of misclassified images."""
        labels = np.asarray(labels)
        predicted = self.predict(images)
        return {
            "accuracy": float(np.mean(predicted == labels)),
            "confusion": confusion_matrix(labels, predicted, self.num_classes),
            "misclassified": np.flatnonzero(predicted != labels),
            "predicted": predicted,
        }

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Save the whole classifier as one Keras 3 ``.keras`` file."""
        path = pathlib.Path(path)
        if path.suffix != ".keras":
            raise ValueError(
                f"{path}: save whole classifiers to '.keras' files (Keras 3's native format). "
                "Keras 3 still writes legacy '.h5' files, with a warning, and refuses folders; "
                "weights alone go to '.weights.h5'"
            )
        self.add_task_specific_layers().save(path)
        return path

    @classmethod
    def load(
        cls, path: str | pathlib.Path, class_names: Sequence[str], *, preprocessing: str = "tf"
    ) -> ImageClassificationModel:
        """Load a classifier saved by ``save`` (``safe_mode=True``), ready to predict."""
        keras = _keras()

        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no saved classifier here")
        model = keras.saving.load_model(path, safe_mode=True)
        nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
        if len(nested) != 2:
            raise ValueError(f"{path} is not a model saved by ImageClassificationModel.save")
        base, head = nested
        task = TaskSpecificModel(int(head.output.shape[-1]), name=head.name)
        task.model = head
        classifier = cls(PretrainedModel(base, preprocessing=preprocessing), task, class_names)
        classifier.model = model
        return classifier
