"""What a simulated worker does: sleep (concept mode) or compute a gradient (notebook 07).

A *work* object is any callable ``work(task, stop) -> result``. ``stop`` is a ``threading.Event``
that the server sets at shutdown: work that waits must wait on it (``stop.wait(seconds)``) rather
than ``time.sleep``, so that shutdown can interrupt it and join the thread.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Protocol

import numpy as np

from course_utils.validation import check_float, check_positive_int

__all__ = [
    "Task",
    "Ack",
    "Work",
    "Stopped",
    "SimulatedWork",
    "LogisticGradientWork",
    "make_logistic_data",
    "numpy_logistic_loss",
    "logistic_gradient",
    "full_batch_gradient_descent",
]


class Stopped(Exception):
    """Raised inside work when the server shuts down; the worker then exits quietly."""


@dataclasses.dataclass(frozen=True)
class Task:
    """What the server sends a worker: the model version (and weights) and which items to use."""

    task_id: int
    round: int
    version: int
    indices: np.ndarray
    weights: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class Ack:
    """A worker's acknowledgement: its result, or the error that stopped it."""

    worker: str
    task_id: int
    round: int
    version: int
    n_items: int
    result: Any = None
    error: str | None = None


class Work(Protocol):
    def __call__(self, task: Task, stop: threading.Event) -> Any: ...


class SimulatedWork:
    """Concept mode (the lecture's version): "process" each batch by waiting ``seconds_per_batch``.

    The result is the number of batches processed, so the server can check that every batch was
    processed exactly once per round.
    """

    def __init__(self, seconds_per_batch: float = 0.01) -> None:
        self.seconds_per_batch = check_float("seconds_per_batch", seconds_per_batch, minimum=0)

    def __call__(self, task: Task, stop: threading.Event) -> int:
        if self.seconds_per_batch > 0:
            for _ in range(len(task.indices)):
                if stop.wait(self.seconds_per_batch):
                    raise Stopped
        return len(task.indices)

    def __repr__(self) -> str:
        return f"SimulatedWork(seconds_per_batch={self.seconds_per_batch})"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the same function, without overflow warnings


def numpy_logistic_loss(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of the logistic-regression model ``sigmoid(x @ weights)``."""
    z = x @ weights
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_gradient(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of ``numpy_logistic_loss`` (a mean over the rows given); zeros for zero rows."""
    if len(y) == 0:
        return np.zeros_like(weights)
    return x.T @ (_sigmoid(x @ weights) - y) / len(y)


class LogisticGradientWork:
    """Real mode: the gradient of the logistic loss on the worker's partition, with NumPy.

    Returns the *mean* gradient over the worker's rows; the server must weight it by the number
    of rows (``Ack.n_items``) to get the full-batch gradient when partitions are uneven.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"x must be 2-D (rows, features) and y 1-D with as many rows; got x {x.shape}, "
                f"y {y.shape}"
            )
        self.x, self.y = x, y

    @property
    def num_items(self) -> int:
        return len(self.y)

    def loss(self, weights: np.ndarray) -> float:
        """The loss on all rows (what the server reports after each update)."""
        return numpy_logistic_loss(weights, self.x, self.y)

    def __call__(self, task: Task, stop: threading.Event) -> np.ndarray:
        if task.weights is None:
            raise ValueError("real mode needs weights in the task; the server sends them")
        rows = _as_slice(task.indices)  # a contiguous block is a view: no copy of the rows
        return logistic_gradient(task.weights, self.x[rows], self.y[rows])


def _as_slice(indices: np.ndarray) -> slice | np.ndarray:
    if len(indices) > 1 and np.all(np.diff(indices) == 1):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def make_logistic_data(
    num_items: int = 400, num_features: int = 5, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small synthetic binary-classification set (float64) with a bias column of ones."""
    num_items = check_positive_int("num_items", num_items)
    num_features = check_positive_int("num_features", num_features)
    rng = np.random.default_rng(seed)
    x = np.hstack([rng.normal(size=(num_items, num_features)), np.ones((num_items, 1))])
    true_w = rng.normal(size=num_features + 1)
    y = (rng.random(num_items) < _sigmoid(x @ true_w)).astype(np.float64)
    return x, y


def full_batch_gradient_descent(
    x: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float,
    steps: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """The single-worker reference: ``steps`` of plain gradient descent on all rows."""
    w = np.zeros(x.shape[1]) if weights is None else np.array(weights, dtype=np.float64)
    for _ in range(steps):
        w = w - learning_rate * logistic_gradient(w, x, y)
    return w
