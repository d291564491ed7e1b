"""The code problem of notebook 02: logistic regression that rolls back when the loss diverges.

UML: ``Trainer`` -> ``CheckpointManager`` -> (``ModelState``, ``InMemoryStorage``,
``CheckpointPolicy``), all four reused from ``course_utils.checkpoints``; ``Trainer`` also uses
a ``Dataset`` (``course_utils.datasets.tabular``), a ``DivergencePolicy`` and an ``EventLog``.
``course_utils.rollback.Trainer`` is not ``course_utils.checkpoints.Trainer`` (the Keras one).
"""

from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergenceError, DivergencePolicy
from course_utils.rollback.events import Event, EventLog
from course_utils.rollback.explore import (
    RunResult,
    compare_strategies,
    default_dataset,
    rollback_run,
)
from course_utils.rollback.trainer import LOSSES, STRATEGIES, Trainer

__all__ = [
    "LOSSES",
    "STRATEGIES",
    "Dataset",
    "DivergenceError",
    "DivergencePolicy",
    "Event",
    "EventLog",
    "RunResult",
    "Trainer",
    "compare_strategies",
    "default_dataset",
    "rollback_run",
]
