"""Dataset: seeded synthetic binary classification for logistic regression (notebook 02).

Two features. The first, ``x1``, is on a unit scale. The second is recorded on a much larger
scale (``feature_scale``, think "grams instead of kilograms"), which is what makes plain
gradient descent with a learning rate chosen for ``x1`` unstable along ``x2``. Labels are drawn
from a logistic model of the *unscaled* features whose sharpness is set by ``difficulty``:
small values give nearly separable classes, large values heavily overlapping ones.

Taught in notebook 02 (the ``Dataset`` box of the code problem's UML).
"""

from __future__ import annotations

import numpy as np

from course_utils.validation import check_float, check_int, check_positive_float

__all__ = ["Dataset"]

TRUE_DIRECTION = (1.5, 0.5)  # the label model's weights on the unscaled features


def _check_arrays(features, labels) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(n, d)`` features and ``n`` labels in {0, 1}; return float32 copies."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(
            f"features must be a 2-D array of shape (examples, features), got shape {x.shape}: "
            "reshape a single feature with x.reshape(-1, 1)"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"the dataset is empty (features have shape {x.shape}): give it rows")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"labels must be a 1-D array with one label per row: features have {x.shape[0]} rows, "
            f"labels have shape {y.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("features contain NaN or infinity: clean or drop those rows first")
    if not np.all((y == 0) | (y == 1)):
        bad = sorted(set(np.unique(y[(y != 0) & (y != 1)]).tolist()))[:5]
        raise ValueError(f"labels must be 0 or 1 for binary classification, found {bad}")
    return x.astype(np.float32), y.astype(np.float32)


class Dataset:
    """Synthetic binary classification with a train/validation split.

    Args:
        n_samples: rows in total (train + validation), at least 10.
        difficulty: > 0; about 0.2 is nearly separable, 1.0 overlaps a lot.
        feature_scale: > 0; the second feature is multiplied by it (1.0 = well scaled).
        validation_fraction: share of the rows held out for validation, in (0, 1).
        seed: the same seed gives the same rows, bit for bit.

    Attributes ``x_train``, ``y_train``, ``x_val``, ``y_val`` are float32 NumPy arrays.
    ``Dataset.from_arrays(x, y)`` wraps your own data (and checks it).
    """

    def __init__(
        self,
        n_samples: int = 1000,
        *,
        difficulty: float = 0.5,
        feature_scale: float = 10.0,
        validation_fraction: float = 0.2,
        seed: int = 0,
    ) -> None:
        check_int("n_samples", n_samples, minimum=10)
        check_positive_float("difficulty", difficulty)
        check_positive_float("feature_scale", feature_scale)
        rng = np.random.default_rng(seed)
        unscaled = rng.normal(size=(n_samples, 2))
        logits = unscaled @ np.asarray(TRUE_DIRECTION) / difficulty
        labels = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        features = unscaled * np.asarray([1.0, feature_scale])
        self.difficulty, self.feature_scale = float(difficulty), float(feature_scale)
        self._split(features, labels, validation_fraction, rng)

    @classmethod
    def from_arrays(
        cls, features, labels, *, validation_fraction: float = 0.2, seed: int = 0
    ) -> Dataset:
        """A ``Dataset`` over given arrays; ``ValueError`` if they are empty or mis-shaped."""
        x, y = _check_arrays(features, labels)
        dataset = cls.__new__(cls)
        dataset.difficulty, dataset.feature_scale = float("nan"), float("nan")
        dataset._split(x, y, validation_fraction, np.random.default_rng(seed))
        return dataset

    def _split(self, features, labels, validation_fraction: float, rng) -> None:
        x, y = _check_arrays(features, labels)
        check_float("validation_fraction", validation_fraction, above=0, below=1)
        n_val = int(round(len(y) * validation_fraction))
        if n_val < 1 or n_val > len(y) - 1:
            raise ValueError(
                f"{len(y)} rows with validation_fraction={validation_fraction} leave an empty "
                "train or validation set: use more rows or another fraction"
            )
        order = rng.permutation(len(y))
        val, train = order[:n_val], order[n_val:]
        self.x_train, self.y_train = x[train], y[train]
        self.x_val, self.y_val = x[val], y[val]

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    def __len__(self) -> int:
        return len(self.y_train) + len(self.y_val)

    def __repr__(self) -> str:
        return (
            f"Dataset({len(self.y_train)} train + {len(self.y_val)} validation rows, "
            f"{self.n_features} features, positives {self.y_train.mean():.0%}, "
            f"difficulty={self.difficulty}, feature_scale={self.feature_scale})"
        )

    def feature_stds(self) -> np.ndarray:
        """Standard deviation of each training feature: shows the bad scaling at a glance."""
        return self.x_train.std(axis=0)
