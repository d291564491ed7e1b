"""The Checkpoints pattern (notebook 01): save the full state of training, resume exactly.

UML classes: ``CheckpointedTrainer`` (the lecture's ``Trainer``)
-> ``CheckpointManager`` -> (``ModelState``, ``Storage``,
``CheckpointPolicy``); ``Storage`` is implemented by ``LocalStorage``, ``CloudStorage`` and
``InMemoryStorage``.
"""

from course_utils.checkpoints.cloud_storage import CloudStorage
from course_utils.checkpoints.cost import CheckpointCost, checkpoint_cost
from course_utils.checkpoints.local_storage import LocalStorage
from course_utils.checkpoints.manager import CheckpointInfo, CheckpointManager, CheckpointSaveError
from course_utils.checkpoints.manifest import CorruptCheckpointError
from course_utils.checkpoints.policy import CheckpointPolicy
from course_utils.checkpoints.state import ModelState
from course_utils.checkpoints.storage import InMemoryStorage, Storage
from course_utils.checkpoints.tradeoff import CompressionRow, compression_tradeoff, format_tradeoff
from course_utils.checkpoints.trainer import CheckpointedTrainer, Trainer, TrainingLog

__all__ = [
    "CheckpointCost",
    "CheckpointedTrainer",
    "CheckpointInfo",
    "CheckpointManager",
    "CheckpointPolicy",
    "CheckpointSaveError",
    "CloudStorage",
    "CompressionRow",
    "CorruptCheckpointError",
    "InMemoryStorage",
    "LocalStorage",
    "ModelState",
    "Storage",
    "Trainer",
    "TrainingLog",
    "checkpoint_cost",
    "compression_tradeoff",
    "format_tradeoff",
]
