"""CheckpointedTrainer: a custom training loop that leaves persistence to the CheckpointManager.

``CheckpointedTrainer.fit(total_steps)`` first restores the newest valid checkpoint (if any), then
runs ``tf.function`` steps, asking the manager after each step whether to save. Killing the process
at any moment and calling ``fit`` again in a new process continues exactly where the last
checkpoint was taken: same batches, same Dropout masks, same noise (notebook 01 proves it
bitwise, with op determinism on). It is the lecture's ``Trainer`` (an alias), under a distinct
name that tells it apart from notebook 02's ``RollbackTrainer``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from course_utils._tf import tensorflow
from course_utils.checkpoints.manager import CheckpointManager
from course_utils.validation import check_float, check_int, check_positive_int

tf = tensorflow()

__all__ = ["CheckpointedTrainer", "Trainer", "TrainingLog"]


@dataclasses.dataclass
class TrainingLog:
    """What one call of ``fit`` did: losses per step, saves, and where it resumed from."""

    resumed_from: int | None = None
    steps: list[int] = dataclasses.field(default_factory=list)
    losses: list[float] = dataclasses.field(default_factory=list)
    saves: list[int] = dataclasses.field(default_factory=list)


class CheckpointedTrainer:
    """Trains ``manager.state.model`` on batches from ``manager.state.iterator``.

    Args:
        manager: a ``CheckpointManager`` whose ``ModelState`` has a model, an optimizer and an
            iterator over ``(features, labels)`` batches (repeat the dataset; the trainer counts
            steps, and ``steps_per_epoch`` turns steps into epochs).
        loss_fn: a Keras loss, e.g. ``keras.losses.MeanSquaredError()``.
        steps_per_epoch: steps that make one epoch (for ``state.epoch`` and the manifest).
        input_noise: standard deviation of Gaussian noise added to the features, drawn from
            ``state.rng`` (a small stand-in for data augmentation; needs an rng).
    """

    def __init__(
        self,
        manager: CheckpointManager,
        loss_fn: Callable,
        *,
        steps_per_epoch: int,
        input_noise: float = 0.0,
    ) -> None:
        state = manager.state
        if state.model is None or state.optimizer is None or state.iterator is None:
            raise ValueError(
                "CheckpointedTrainer needs a ModelState with a model, optimizer and iterator"
            )
        steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
        input_noise = check_float("input_noise", input_noise, minimum=0)
        if input_noise > 0 and state.rng is None:
            raise ValueError("input_noise > 0 needs ModelState(rng=...) to draw the noise from")
        self.manager, self.state = manager, state
        self.loss_fn = loss_fn
        self.steps_per_epoch = steps_per_epoch
        self.input_noise = input_noise
        self._step_fn = tf.function(self._train_step)

    def _train_step(self, features, labels):
        model, optimizer = self.state.model, self.state.optimizer
        if self.input_noise:
            noise = self.state.rng.normal(tf.shape(features), dtype=features.dtype)
            features = features + self.input_noise * noise
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            loss = self.loss_fn(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    def fit(
        self,
        total_steps: int,
        *,
        on_step: Callable[[int, float, bool], None] | None = None,
    ) -> TrainingLog:
        """Train until ``state.step == total_steps``, resuming from the latest checkpoint.

        ``on_step(step, loss, saved)`` is called after every step, once any save of that step
        is done: notebook 01 uses it to print progress that a parent process reads.
        """
        total_steps = check_int("total_steps", total_steps, minimum=0)
        log = TrainingLog()
        restored = self.manager.restore_latest()
        if restored is not None:
            log.resumed_from = restored.step
        state = self.state
        while state.step_number < total_steps:
            features, labels = next(state.iterator)
            loss = float(self._step_fn(features, labels))
            state.step.assign_add(1)
            step = state.step_number
            state.epoch.assign(step // self.steps_per_epoch)
            log.steps.append(step)
            log.losses.append(loss)
            if not math.isfinite(loss):
                raise FloatingPointError(f"loss is {loss} at step {step}: training diverged")
            saved = self.manager.maybe_save({"loss": loss}) is not None
            if saved:
                log.saves.append(step)
            if on_step is not None:
                on_step(step, loss, saved)
        self.manager.wait()
        return log


#: The lecture's UML name. The course uses ``CheckpointedTrainer`` so that it cannot be mistaken
#: for notebook 02's ``RollbackTrainer``; ``Trainer`` stays importable for the lecture's diagrams.
Trainer = CheckpointedTrainer
