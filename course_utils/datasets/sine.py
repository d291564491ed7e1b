"""Seeded samples of sin(x) on [-pi, pi] for assignment 4 (the multi-view predictor).

Three parts, each a pair of 1-D float64 arrays:

- train: ``n_train`` points drawn uniformly from [-pi, pi], targets ``sin(x)`` plus Gaussian
  noise of standard deviation ``noise`` (a model sees measurements, not the function);
- validation: ``n_val`` more noisy points from the same distribution, for keep-best;
- test: a held-out, evenly spaced grid of ``n_test`` points covering [-pi, pi] with the exact
  values of ``sin(x)``; training never looks at it, the maximum error is measured on it.

Everything is a pure function of the arguments and ``seed`` (no files, no network).
Taught in notebooks/assignments/assignment4/multiview_predictor.ipynb.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from course_utils.validation import check_float, check_int

__all__ = ["SineData", "make_sine_data"]

_PARTS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True)
class SineData:
    """Train, validation and test arrays for learning sin(x); each ``x_*``/``y_*`` is 1-D float64.

    Build one with ``make_sine_data``. ``dataclasses.replace(data, y_train=...)`` makes a variant
    (the assignment's checks do this); the arrays are checked again when it is built.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        for part in _PARTS:
            x, y = (_as_vector(getattr(self, f"{axis}_{part}"), f"{axis}_{part}") for axis in "xy")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{part} has {len(x)} values but y_{part} has {len(y)}: give one target per x"
                )
            # frozen dataclass: set the checked, read-only copies through object.__setattr__
            object.__setattr__(self, f"x_{part}", x)
            object.__setattr__(self, f"y_{part}", y)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(getattr(self, f'x_{part}'))} {part}" for part in _PARTS)
        return f"SineData({sizes} points)"


def _as_vector(values, name: str) -> np.ndarray:
    """A read-only 1-D float64 copy of ``values``; ValueError unless finite, 1-D and non-empty."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity: every value must be a finite number")
    array.flags.writeable = False
    return array


def make_sine_data(
    n_train: int = 200,
    n_val: int = 100,
    n_test: int = 1001,
    *,
    noise: float = 0.02,
    seed: int = 0,
) -> SineData:
    """Noisy train and validation samples of sin(x) on [-pi, pi] and an exact held-out grid.

    Args:
        n_train, n_val: numbers of noisy samples (at least 2 each).
        n_test: points of the evenly spaced test grid, both ends included (at least 2).
        noise: standard deviation of the Gaussian noise added to train and validation targets
            (>= 0; 0 gives exact values).
        seed: the same seed gives the same arrays, bit for bit.
    """
    for name, value in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        check_int(name, value, minimum=2)
    check_float("noise", noise, minimum=0)
    rng = np.random.default_rng(seed)
    x_train = rng.uniform(-np.pi, np.pi, n_train)
    y_train = np.sin(x_train) + rng.normal(0.0, noise, n_train)
    x_val = rng.uniform(-np.pi, np.pi, n_val)
    y_val = np.sin(x_val) + rng.normal(0.0, noise, n_val)
    x_test = np.linspace(-np.pi, np.pi, n_test)
    return SineData(x_train, y_train, x_val, y_val, x_test, np.sin(x_test))
