"""Notebook 03's claim, measured: transfer learning against training from scratch, few labels.

``transfer_vs_scratch`` trains a head on the frozen base's features and the same architecture
from scratch on the same labelled subsets, both with the same early-stopping protocol
(``EarlyStoppingTrainer``: a validation split picks when to stop); ``summarize_comparison`` makes
the table, ``load_comparison`` reads the full sweep shipped by ``make data`` (``build_base
--comparison``). ``TaskSpecificModel`` and friends live in ``image_models.py`` (re-exported).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence

import numpy as np

from course_utils._tf import keras as _keras
from course_utils.paths import PRETRAINED_DIR
from course_utils.transfer.base_model import build_base_model
from course_utils.transfer.early_stopping import EarlyStoppingTrainer
from course_utils.transfer.image_models import (
    ImageClassificationModel,
    TaskSpecificModel,
    confusion_matrix,
)
from course_utils.transfer.pretrained import PretrainedModel

__all__ = [
    "TaskSpecificModel",
    "ImageClassificationModel",
    "COMPARISON_PATH",
    "COMPARISON_DATA",
    "EarlyStoppingTrainer",
    "comparison_data",
    "load_comparison",
    "confusion_matrix",
    "scratch_model",
    "transfer_vs_scratch",
    "summarize_comparison",
]


COMPARISON_PATH = PRETRAINED_DIR / "shapes_transfer_vs_scratch.json"
#: The images of the shipped comparison: ``target_task(per_class, seed=seed)`` for each split.
COMPARISON_DATA = {
    "pool": {"per_class": 200, "seed": 1},
    "validation": {"per_class": 20, "seed": 3},
    "test": {"per_class": 60, "seed": 2},
}


def comparison_data() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The labelled pool, validation split and test set of the comparison (``COMPARISON_DATA``)."""
    from course_utils.datasets.images import target_task

    return {
        name: target_task(spec["per_class"], seed=spec["seed"])
        for name, spec in COMPARISON_DATA.items()
    }


def load_comparison(path: str | pathlib.Path = COMPARISON_PATH) -> dict:
    """The shipped full comparison (``build_base --comparison``): protocol, data and rows."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no shipped comparison; make it with "
            "`python -m course_utils.transfer.build_base --comparison`"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def scratch_model(image_size: int = 32, num_classes: int = 5):
    """The base's architecture, randomly initialised, taking raw ``uint8`` images: the baseline."""
    keras = _keras()

    inputs = keras.Input((image_size, image_size, 3))
    scaled = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    return keras.Model(inputs, build_base_model(image_size, num_classes, bn_momentum=0.9)(scaled))


def _accuracy(model, inputs, labels) -> float:
    logits = np.asarray(model(np.asarray(inputs, dtype=np.float32), training=False))
    return float(np.mean(logits.argmax(axis=-1) == labels))


def transfer_vs_scratch(
    pretrained: PretrainedModel,
    pool: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    labels_per_class: Sequence[int] = (5, 10, 20, 50, 100, 200),
    seeds: Sequence[int] = (0, 1, 2),
    scratch_sizes: Sequence[int] | None = None,
    batch_size: int = 32,
    eval_every: int = 20,
    patience: int = 10,
    max_steps: int = 3000,
) -> list[dict]:
    """Test accuracy of transfer (linear head on frozen features) vs the same CNN from scratch.

    For each size and seed, the seed picks ``labels_per_class`` labelled images per class from
    ``pool``; both models train on exactly those, with the same ``EarlyStoppingTrainer``
    protocol (batch size, validation split, patience), so each trains until it stops improving.
    Returns one row per (size, seed): test accuracies, training accuracies and the steps each
    side used. ``scratch_sizes`` limits the (slow) scratch runs to those sizes (default: all);
    rows of the other sizes hold the transfer side only.
    """
    keras = _keras()
    from course_utils.datasets.images import labels_per_class_subset

    x_pool, y_pool = pretrained.check_images(pool[0]), np.asarray(pool[1])
    x_val, y_val = pretrained.check_images(validation[0]), np.asarray(validation[1])
    x_test, y_test = pretrained.check_images(test[0]), np.asarray(test[1])
    num_classes = len(np.unique(y_pool))
    chosen = {
        (count, seed): labels_per_class_subset(y_pool, count, seed=seed)
        for count in labels_per_class
        for seed in seeds
    }
    # Features of the pool images some run labels, only: a small sweep uses a few of the pool.
    # (An image's features do not depend on the batch it is computed in.)
    labelled = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *chosen.values()]))
    features = {
        "pool": np.zeros((len(x_pool), pretrained.feature_dim), dtype=np.float32),
        "val": pretrained.extract_features(x_val),
        "test": pretrained.extract_features(x_test),
    }
    if len(labelled):
        features["pool"][labelled] = pretrained.extract_features(x_pool[labelled])
    protocol = dict(batch_size=batch_size, eval_every=eval_every, patience=patience)
    protocol["max_steps"] = max_steps

    # One model and one trainer of each kind, re-initialised per run: traced once.
    def new_head():
        return TaskSpecificModel(num_classes, hidden_units=0, dropout=0.0).build(
            pretrained.feature_dim
        )

    head = new_head()
    head_trainer = EarlyStoppingTrainer(head, 1e-2)
    scratch_sizes = labels_per_class if scratch_sizes is None else tuple(scratch_sizes)
    if scratch_sizes:
        cnn = scratch_model(pretrained.input_shape[0], num_classes)
        cnn_trainer = EarlyStoppingTrainer(cnn, 2e-3)
    rows = []
    for count in labels_per_class:
        for seed in seeds:
            picked = chosen[count, seed]
            keras.utils.set_random_seed(seed)
            head.set_weights(new_head().get_weights())
            fit = head_trainer.fit(
                (features["pool"][picked], y_pool[picked]),
                (features["val"], y_val),
                seed=seed,
                **protocol,
            )
            row = {
                "labels_per_class": count,
                "seed": seed,
                "transfer": _accuracy(head, features["test"], y_test),
                "transfer_train": _accuracy(head, features["pool"][picked], y_pool[picked]),
                "transfer_steps": fit["steps"],
            }
            if count in scratch_sizes:
                cnn.set_weights(scratch_model(pretrained.input_shape[0], num_classes).get_weights())
                fit = cnn_trainer.fit(
                    (x_pool[picked], y_pool[picked]), (x_val, y_val), seed=seed, **protocol
                )
                row["scratch"] = _accuracy(cnn, x_test, y_test)
                row["scratch_train"] = _accuracy(cnn, x_pool[picked], y_pool[picked])
                row["scratch_steps"] = fit["steps"]
            rows.append(row)
    return rows


def summarize_comparison(rows: list[dict], labels_per_class: int | None = None) -> dict:
    """Mean accuracies (and steps) over seeds, per size, or for one size: what the plot shows.

    A size without scratch runs (``scratch_sizes``) gets NaN for the scratch side and the gain.
    """
    sizes = sorted({row["labels_per_class"] for row in rows})
    if labels_per_class is not None:
        if labels_per_class not in sizes:
            raise ValueError(f"no results for {labels_per_class} labels per class; have {sizes}")
        sizes = [labels_per_class]
    summary = {}
    for size in sizes:
        picked = [row for row in rows if row["labels_per_class"] == size]
        means = {}
        for key in ("transfer", "scratch", "transfer_steps", "scratch_steps"):
            values = [row[key] for row in picked if key in row]
            means[key] = float(np.mean(values)) if values else float("nan")
        summary[size] = {**means, "gain": means["transfer"] - means["scratch"]}
    return summary
