"""The code problem of notebook 02: logistic regression that rolls back when the loss diverges.

UML: ``RollbackTrainer`` -> ``CheckpointManager`` -> (``ModelState``, ``InMemoryStorage``,
``CheckpointPolicy``), all four reused from ``course_utils.checkpoints``; ``RollbackTrainer``
also uses a ``Dataset`` (``course_utils.datasets.tabular``), a ``DivergencePolicy`` and a
``TrainingEventLog`` of ``TrainingEvent``s. The names are distinct on purpose: notebook 01 has a
Keras ``CheckpointedTrainer`` and notebook 07's simulator an ``EventLog``.
"""

from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergenceError, DivergencePolicy
from course_utils.rollback.events import TrainingEvent, TrainingEventLog
from course_utils.rollback.explore import (
    RunResult,
    compare_strategies,
    default_dataset,
    rollback_run,
    strategy_row,
)
from course_utils.rollback.trainer import LOSSES, STRATEGIES, RollbackTrainer

__all__ = [
    "LOSSES",
    "STRATEGIES",
    "Dataset",
    "DivergenceError",
    "DivergencePolicy",
    "RollbackTrainer",
    "RunResult",
    "TrainingEvent",
    "TrainingEventLog",
    "compare_strategies",
    "default_dataset",
    "rollback_run",
    "strategy_row",
]
