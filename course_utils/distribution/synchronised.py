"""Synchronised data-parallel training: what it communicates and what a failure costs (notebook 06).

The contrast to parallel processing (``parallel.py``). ``make_counting_strategy`` builds a
``MirroredStrategy`` whose cross-device reduction records every tensor it reduces, so the bytes
exchanged per step are measured, not computed. ``FaultInjectingTrainer`` is a
``DistributedTrainer`` whose replica ``i`` can be told to fail inside the step, before the
all-reduce; ``train_synchronised`` trains with a checkpoint every few steps, injects that failure
once, and restarts from the last checkpoint, recording which steps had to be run again.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from course_utils._tf import tensorflow
from course_utils.distribution.strategy import DistributedTrainer, replica_devices
from course_utils.validation import check_int, check_positive_int

__all__ = [
    "FaultInjectingTrainer",
    "Reduction",
    "SyncRun",
    "make_counting_strategy",
    "replica_copies",
    "train_synchronised",
]


@dataclasses.dataclass(frozen=True)
class Reduction:
    """One tensor handed to the cross-device reduction: its shape, dtype and bytes per replica."""

    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    replicas: int


def make_counting_strategy(replicas: int = 2) -> tuple[Any, list[Reduction]]:
    """A ``MirroredStrategy`` over ``replicas`` GPUs (or logical CPUs), and its reduction log.

    Every tensor that goes through the strategy's all-reduce (the gradients, in the optimizer's
    ``apply_gradients``) is appended to the log while a ``tf.function`` is traced, i.e. once per
    traced step: a traced step replays the same reductions every time it runs. A
    ``strategy.reduce`` to the host (the loop's loss) takes another path and is not logged.
    """
    replicas = check_positive_int("replicas", replicas)
    if replicas < 2:
        raise ValueError(f"replicas must be >= 2 for anything to be reduced, got {replicas}")
    tf = tensorflow()
    devices = replica_devices(replicas)  # the devices make_strategy would use
    log: list[Reduction] = []

    base: Any = tf.distribute.ReductionToOneDevice  # TensorFlow objects are Any (no stubs)

    class CountingReduction(base):
        def reduce_implementation(self, reduce_op, per_replica_value, destinations, options):
            values = getattr(per_replica_value, "values", (per_replica_value,))
            first = values[0]  # what one replica hands over
            size = first.shape.num_elements() * first.dtype.size
            log.append(Reduction(tuple(first.shape), first.dtype.name, size, len(values)))
            return super().reduce_implementation(
                reduce_op, per_replica_value, destinations, options
            )

    strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=CountingReduction())
    return strategy, log


def replica_copies(model: Any) -> list[list[np.ndarray]]:
    """For each replica, its own copy of every trainable variable (as NumPy arrays)."""
    per_variable = [[c.numpy() for c in v.value.values] for v in model.trainable_variables]
    return [list(copies) for copies in zip(*per_variable, strict=True)]


class FaultInjectingTrainer(DistributedTrainer):
    """A ``DistributedTrainer`` whose replica ``fail_replica`` fails inside the step when told.

    ``fail_replica`` is a variable (-1: nobody fails). The failing replica raises before its
    gradients reach the all-reduce, as a worker that crashes mid-step would; the whole step
    raises ``tf.errors.InvalidArgumentError`` and no replica applies an update.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self.strategy.scope():
            self.fail_replica = self._tf.Variable(-1, dtype="int32", trainable=False)

    def _replica_step(self, x, y):
        tf = self._tf
        with tf.GradientTape() as tape:
            loss = self._replica_loss(x, y)
        grads = tape.gradient(loss, self.model.trainable_variables)
        me = tf.distribute.get_replica_context().replica_id_in_sync_group
        check = tf.debugging.Assert(
            tf.not_equal(self.fail_replica, tf.cast(me, "int32")), ["injected failure, replica", me]
        )
        with tf.control_dependencies([check]):  # no gradient leaves a failed replica
            grads = [tf.identity(g) for g in grads]
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables, strict=True))
        return loss

    @property
    def traces(self) -> int:
        """How often the step was traced (1: every step ran the same graph)."""
        return 0 if self._train_step is None else self._train_step.experimental_get_tracing_count()


@dataclasses.dataclass(frozen=True)
class SyncRun:
    """What ``train_synchronised`` did, step by step."""

    executed: list[int]  # every step that completed, in order (a repeated step appears twice)
    checkpoints: list[int]  # steps at which a checkpoint was written
    failed_step: int | None  # the step that raised
    restored_step: int | None  # the step read back from the checkpoint
    replicas_unchanged: bool | None  # no replica's weights moved in the failed step
    error: str | None  # the line of the error the step raised that names the failure
    weights: list[np.ndarray]

    @property
    def redone(self) -> list[int]:
        """Steps that ran twice: the work the failure cost."""
        return [s for i, s in enumerate(self.executed) if s in self.executed[:i]]


def train_synchronised(
    trainer: FaultInjectingTrainer,
    batches: Sequence[Any],
    directory: str | os.PathLike,
    *,
    checkpoint_every: int,
    fail_at: int | None = None,
    fail_replica: int = 1,
) -> SyncRun:
    """Run one step per distributed batch, checkpointing every ``checkpoint_every`` steps.

    At step ``fail_at`` replica ``fail_replica`` fails once; training then restores the last
    checkpoint (model, optimizer and step counter) and carries on from the step it stored.
    """
    if not isinstance(trainer, FaultInjectingTrainer):
        raise TypeError(f"trainer must be a FaultInjectingTrainer, got {type(trainer).__name__}")
    every = check_positive_int("checkpoint_every", checkpoint_every)
    if fail_at is not None:
        fail_at = check_int("fail_at", fail_at, minimum=0, maximum=len(batches) - 1)
    fail_replica = check_int("fail_replica", fail_replica, minimum=0)
    tf = tensorflow()
    counter = tf.Variable(0, dtype="int64", trainable=False)
    checkpoint = tf.train.Checkpoint(model=trainer.model, optimizer=trainer.optimizer, step=counter)
    executed, checkpoints, last = [], [], ""
    failed = restored = unchanged = error = None
    step = 0
    while step < len(batches):
        if step % every == 0 and step not in checkpoints:
            counter.assign(step)
            last = checkpoint.write(os.path.join(os.fspath(directory), f"ckpt-{step}"))
            checkpoints.append(step)
        if step == fail_at and failed is None:
            before = replica_copies(trainer.model)
            trainer.fail_replica.assign(fail_replica)
            try:
                trainer.train_step(batches[step])
            except tf.errors.InvalidArgumentError as exc:
                lines = str(exc).strip().splitlines()
                failed = step
                error = next((line.strip() for line in lines if "injected" in line), lines[0])
            trainer.fail_replica.assign(-1)
            if failed is None:
                raise RuntimeError(f"the failure injected at step {step} did not happen")
            after = replica_copies(trainer.model)
            unchanged = all(
                np.array_equal(a, b)
                for r, s in zip(before, after, strict=True)
                for a, b in zip(r, s, strict=True)
            )
            checkpoint.read(last).assert_consumed()
            step = restored = int(counter.numpy())
            continue
        trainer.train_step(batches[step])
        executed.append(step)
        step += 1
    return SyncRun(executed, checkpoints, failed, restored, unchanged, error, trainer.weights())
