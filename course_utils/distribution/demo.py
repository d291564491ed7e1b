"""The demo task of notebook 06: seeded data and a tiny MLP, the same in every process.

``replica_experiment`` (``experiments.py``) trains it in the notebook and ``worker_main`` on every
worker of a ``MultiWorkerMirroredStrategy`` run, so both see identical data and initial weights.
"""

from __future__ import annotations

import numpy as np

from course_utils._tf import keras

__all__ = ["make_classification_data", "make_data", "build_model", "build_bn_model"]


def make_classification_data(
    n: int = 512, features: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded binary classification set: the same on every worker and in the notebook."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features, 1)).astype("float32")
    y = (x @ w + 0.3 * rng.normal(size=(n, 1)) > 0).astype("float32")
    return x, y


# Notebook 06 imports it under this name (``from course_utils.distribution.worker_main import
# make_data``); ``course_utils.checkpoints.demo.make_data`` is another function.
make_data = make_classification_data


def build_model(features: int = 8, seed: int = 7):
    """A tiny MLP with seeded initial weights (identical wherever it is built)."""
    k = keras()
    k.utils.set_random_seed(seed)
    return k.Sequential(
        [
            k.Input((features,)),
            k.layers.Dense(16, activation="relu"),
            k.layers.Dense(1),
        ]
    )


def build_bn_model(features: int = 8, seed: int = 7, *, synchronized: bool = False):
    """``build_model`` with a BatchNormalization layer after the hidden Dense layer (notebook 06).

    Under a strategy each replica normalizes with its own slice's statistics, so training no
    longer matches one device; ``synchronized=True`` all-reduces the statistics (TensorFlow
    backend) and restores the match.
    """
    k = keras()
    k.utils.set_random_seed(seed)
    return k.Sequential(
        [
            k.Input((features,)),
            k.layers.Dense(16),
            k.layers.BatchNormalization(synchronized=synchronized),
            k.layers.ReLU(),
            k.layers.Dense(1),
        ]
    )
