"""Notebook 03's claim, measured: transfer learning against training from scratch, few labels.

``transfer_vs_scratch`` trains a head on the frozen base's features and the same architecture
from scratch on the same labelled subsets; ``summarize_comparison`` makes the table. The lecture
classes of notebook 05 live in ``image_models.py`` (re-exported here, where notebook 05 imports
them from).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils._tf import keras as _keras
from course_utils.transfer.base_model import build_base_model
from course_utils.transfer.image_models import (
    ImageClassificationModel,
    TaskSpecificModel,
    _fit_full_batches,
    _reset_optimizer,
    confusion_matrix,
)
from course_utils.transfer.keras_utils import compile_classifier
from course_utils.transfer.pretrained import PretrainedModel

__all__ = [
    "TaskSpecificModel",
    "ImageClassificationModel",
    "confusion_matrix",
    "transfer_vs_scratch",
    "summarize_comparison",
]


def _scratch_model(image_size: int, num_classes: int):
    keras = _keras()

    inputs = keras.Input((image_size, image_size, 3))
    scaled = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    return keras.Model(inputs, build_base_model(image_size, num_classes, bn_momentum=0.9)(scaled))


def _compiled(model, learning_rate: float, steps_per_execution: int):
    # Several steps per call of the traced train function: far less Python overhead per step.
    return compile_classifier(
        model, learning_rate, accuracy=False, steps_per_execution=steps_per_execution
    )


def _accuracy(model, inputs, labels) -> float:
    logits = np.asarray(model(inputs, training=False))
    return float(np.mean(logits.argmax(axis=-1) == labels))


def transfer_vs_scratch(
    pretrained: PretrainedModel,
    pool: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    labels_per_class: Sequence[int] = (5, 10, 20, 50),
    seeds: Sequence[int] = (0, 1, 2),
    head_steps: int = 200,
    scratch_steps: int = 80,
    batch_size: int = 16,
) -> list[dict]:
    """Test accuracy of transfer (head on frozen features) vs the same CNN trained from scratch.

    For each size and seed, the seed picks ``labels_per_class`` labelled images per class from
    ``pool``; both models see exactly those. The head gets ``head_steps`` full-batch Adam steps;
    the scratch CNN (same architecture as the base) ``scratch_steps`` steps of ``batch_size``
    images. Returns one row per (size, seed) with test accuracies (and the scratch model's
    accuracy on its own training images, to show it overfits).
    """
    keras = _keras()

    from course_utils.datasets.images import labels_per_class_subset

    x_pool, y_pool = pool
    x_test, y_test = pretrained.check_images(test[0]), np.asarray(test[1])
    num_classes = len(np.unique(y_pool))
    size = pretrained.input_shape[0]
    pool_features = pretrained.extract_features(x_pool)
    test_features = pretrained.extract_features(x_test)

    # One compiled model of each kind, re-initialised per run: Keras traces train steps once.
    def new_head():
        return TaskSpecificModel(num_classes, hidden_units=0, dropout=0.0).build(
            pretrained.feature_dim
        )

    head = _compiled(new_head(), 1e-2, 50)
    scratch = _compiled(_scratch_model(size, num_classes), 2e-3, 20)
    rows = []
    for count in labels_per_class:
        for seed in seeds:
            chosen = labels_per_class_subset(y_pool, count, seed=seed)
            keras.utils.set_random_seed(seed)
            head.set_weights(new_head().get_weights())
            _reset_optimizer(head)
            _fit_full_batches(head, pool_features, y_pool, chosen, head_steps)
            transfer = _accuracy(head, test_features, y_test)

            scratch.set_weights(_scratch_model(size, num_classes).get_weights())
            _reset_optimizer(scratch)
            rng = np.random.default_rng(seed)
            repeats = -(-scratch_steps * batch_size // len(chosen))
            order = np.concatenate([rng.permutation(chosen) for _ in range(repeats)])
            order = order[: scratch_steps * batch_size]
            scratch.fit(
                x_pool[order],
                y_pool[order],
                batch_size=batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
            )
            rows.append(
                {
                    "labels_per_class": count,
                    "seed": seed,
                    "transfer": transfer,
                    "scratch": _accuracy(scratch, x_test, y_test),
                    "scratch_train": _accuracy(scratch, x_pool[chosen], y_pool[chosen]),
                }
            )
    return rows


def summarize_comparison(rows: list[dict], labels_per_class: int | None = None) -> dict:
    """Mean accuracies over seeds, per size (or for one size): what the plot and widget show."""
    sizes = sorted({row["labels_per_class"] for row in rows})
    if labels_per_class is not None:
        if labels_per_class not in sizes:
            raise ValueError(f"no results for {labels_per_class} labels per class; have {sizes}")
        sizes = [labels_per_class]
    summary = {}
    for size in sizes:
        picked = [row for row in rows if row["labels_per_class"] == size]
        transfer = float(np.mean([row["transfer"] for row in picked]))
        scratch = float(np.mean([row["scratch"] for row in picked]))
        summary[size] = {"transfer": transfer, "scratch": scratch, "gain": transfer - scratch}
    return summary
