"""The code problem of notebook 02: logistic regression that rolls back when the loss diverges.

UML: ``Trainer`` -> ``CheckpointManager`` -> (``ModelState``, ``InMemoryStorage``,
``CheckpointPolicy``), all four reused from ``course_utils.checkpoints``; ``Trainer`` also uses
a ``Dataset`` (``course_utils.datasets.tabular``), a ``DivergencePolicy`` and an ``EventLog``.
``course_utils.rollback.Trainer`` (``RollbackTrainer``) is not ``course_utils.checkpoints.Trainer``
(the Keras one); ``EventLog`` here is ``TrainingEventLog``, not the simulator's ``EventLog``.
"""

from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergenceError, DivergencePolicy
from course_utils.rollback.events import Event, EventLog, TrainingEvent, TrainingEventLog
from course_utils.rollback.explore import (
    RunResult,
    compare_strategies,
    default_dataset,
    rollback_run,
)
from course_utils.rollback.trainer import LOSSES, STRATEGIES, RollbackTrainer, Trainer

__all__ = [
    "LOSSES",
    "STRATEGIES",
    "Dataset",
    "DivergenceError",
    "DivergencePolicy",
    "Event",  # = TrainingEvent
    "EventLog",  # = TrainingEventLog, the name in notebook 02's UML
    "RollbackTrainer",
    "RunResult",
    "Trainer",  # = RollbackTrainer, the name notebook 02 uses
    "TrainingEvent",
    "TrainingEventLog",
    "compare_strategies",
    "default_dataset",
    "rollback_run",
]
