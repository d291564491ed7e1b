"""RollbackTrainer: logistic regression by gradient descent that rolls back when the loss diverges.

Not the same class as ``course_utils.checkpoints.Trainer`` (notebook 01), which trains a Keras
model to *resume* after a crash. This one is the lecture's code problem: a hand-written model
(two ``tf.Variable``s, ``tf.GradientTape``, no ``model.fit``) whose checkpoints live only in
memory and serve *recovery*: when the loss is NaN, infinite or spikes, it restores the best
checkpoint, multiplies the learning rate by ``decay`` and carries on. Taught in notebook 02.

Persistence is reused, not re-implemented: ``ModelState`` (weights + bias), ``InMemoryStorage``
(at most ``max_checkpoints`` snapshots), ``CheckpointPolicy`` (save on improvement of ``loss``)
and ``CheckpointManager`` from ``course_utils.checkpoints``.

Two deliberate choices:

- The learning rate is NOT in the checkpoint. Restoring it would bring back the rate that just
  diverged; the decayed rate must survive the rollback, so the RollbackTrainer owns it.
- The step counter keeps counting across rollbacks (the restored ``state.step`` is reset to
  the global step): steps measure work spent, and checkpoint names stay unique.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from course_utils._tf import tensorflow
from course_utils.checkpoints import (
    CheckpointManager,
    CheckpointPolicy,
    InMemoryStorage,
    ModelState,
)
from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergenceError, DivergencePolicy
from course_utils.rollback.events import TrainingEvent, TrainingEventLog
from course_utils.rollback.logistic import evaluate_loss, gradient_step
from course_utils.validation import check_int, check_positive_float

tf = tensorflow()

__all__ = ["RollbackTrainer", "Trainer", "STRATEGIES", "LOSSES"]

STRATEGIES = ("rollback", "restart", "none")
LOSSES = ("naive", "stable")


class RollbackTrainer:
    """Logistic regression on a ``Dataset`` with a divergence strategy.

    Args:
        dataset: the ``Dataset`` (its training rows are used; validation for ``evaluate``).
        learning_rate: the initial rate ``lr0`` (> 0).
        strategy: what to do on divergence: ``"rollback"`` (restore the best checkpoint, decay
            the rate), ``"restart"`` (start again from the initial weights, decay the rate) or
            ``"none"`` (no checkpoints: stop at the first NaN/inf, like Keras' TerminateOnNaN).
        policy: the ``DivergencePolicy`` (spike_factor, decay, max_rollbacks).
        batch_size: rows per gradient step, drawn at random; ``None`` = full batch.
        loss: ``"naive"`` (``-y log p - (1-y) log(1-p)``, overflows in float32) or ``"stable"``.
        max_checkpoints: the hard bound of the ``InMemoryStorage``.
        checkpoint_policy: when to save; default: on improvement of the loss by ``min_delta``,
            keeping the latest and the best checkpoint.
        seed: seeds the batch sampler.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        learning_rate: float,
        strategy: str = "rollback",
        policy: DivergencePolicy | None = None,
        batch_size: int | None = 16,
        loss: str = "naive",
        max_checkpoints: int = 3,
        checkpoint_policy: CheckpointPolicy | None = None,
        min_delta: float = 1e-3,
        seed: int = 0,
    ) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"dataset must be a Dataset, got {type(dataset).__name__}")
        learning_rate = check_positive_float("learning_rate", learning_rate)
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        n_train = len(dataset.y_train)
        batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_train, optional=True)
        self.dataset, self.strategy = dataset, strategy
        self.policy = policy or DivergencePolicy()
        self.batch_size, self.naive = batch_size, loss == "naive"
        self.initial_learning_rate = float(learning_rate)
        self.weights = tf.Variable(tf.zeros([dataset.n_features]), name="weights")
        self.bias = tf.Variable(0.0, name="bias")
        self._lr = tf.Variable(self.initial_learning_rate, trainable=False, name="learning_rate")
        self._lr_value = float(self._lr.numpy())  # the same float32 value, without a TF call
        self._initial = (self.weights.numpy().copy(), self.bias.numpy().copy())
        self.state = ModelState(variables={"weights": self.weights, "bias": self.bias})
        self.storage = InMemoryStorage(max_checkpoints=max_checkpoints)
        self.manager: CheckpointManager | None = None
        if strategy == "rollback":
            checkpoint_policy = checkpoint_policy or CheckpointPolicy(
                monitor="loss", min_delta=min_delta, save_on_improvement=True,
                keep_latest=1, keep_best=1,
            )  # fmt: skip
            self.manager = CheckpointManager(self.state, self.storage, checkpoint_policy)
        self.log = TrainingEventLog()
        self.rollbacks = 0  # rollbacks (or restarts) done so far
        self.best_loss: float | None = None  # lowest finite loss since the (re)start
        self.step = 0
        self._rng = np.random.default_rng(seed)
        self._x = tf.constant(dataset.x_train)
        self._y = tf.constant(dataset.y_train)

    def __repr__(self) -> str:
        return (
            f"Trainer(strategy={self.strategy!r}, step={self.step}, lr={self.learning_rate:.4g}, "
            f"rollbacks={self.rollbacks}, {self.storage!r})"
        )

    @property
    def learning_rate(self) -> float:
        """The current learning rate (decayed after each rollback; never restored)."""
        return float(self._lr.numpy())

    def loss(self) -> float:
        """The training loss of the current weights."""
        return float(evaluate_loss(self.weights, self.bias, self._x, self._y, self.naive))

    def evaluate(self) -> dict[str, float]:
        """Training loss, validation loss and validation accuracy of the current weights."""
        x_val, y_val = self.dataset.x_val, self.dataset.y_val
        val_loss = float(evaluate_loss(self.weights, self.bias, x_val, y_val, self.naive))
        logits = x_val @ self.weights.numpy() + self.bias.numpy()
        accuracy = float(np.mean((logits > 0) == (y_val > 0.5)))
        return {"loss": self.loss(), "val_loss": val_loss, "val_accuracy": accuracy}

    def checkpoint_values(self, name: str) -> dict[str, np.ndarray]:
        """The weights and bias stored in checkpoint ``name``, read without touching the model."""
        with self.storage.open_checkpoint(name) as folder:
            reader = tf.train.load_checkpoint(str(folder / "state"))
            return {
                key: reader.get_tensor(f"variables/{key}/.ATTRIBUTES/VARIABLE_VALUE")
                for key in ("weights", "bias")
            }

    # ----------------------------------------------------------------- training
    def _start(self, on_save) -> None:
        loss = self.loss()
        self.log.add(0, "step", loss, self.learning_rate, initial=True)
        if math.isfinite(loss):
            self.best_loss = loss
        if self.manager is not None:  # before the first step: a NaN at step 1 can roll back
            self._save(loss, on_save, reason="initial")

    @property
    def _checkpoints(self) -> CheckpointManager:
        if self.manager is None:
            raise RuntimeError(f"the {self.strategy!r} strategy keeps no checkpoints")
        return self.manager

    def _save(self, loss: float, on_save, reason: str | None = None) -> None:
        start = time.perf_counter()
        if reason is None:
            info = self._checkpoints.maybe_save({"loss": loss})
        else:
            info = self._checkpoints.save({"loss": loss}, reason=reason)
        if info is not None:
            event = self.log.add(
                self.step, "save", loss, self.learning_rate, name=info.name, reason=info.reason,
                held=len(self.storage.list_checkpoints()), nbytes=self.storage.nbytes(),
                seconds=time.perf_counter() - start,
            )  # fmt: skip
            if on_save is not None:
                on_save(self, event)

    def _batch(self):
        if self.batch_size is None:
            return self._x, self._y
        rows = self._rng.choice(len(self.dataset.y_train), self.batch_size, replace=False)
        return self.dataset.x_train[rows], self.dataset.y_train[rows]

    def fit(
        self,
        steps: int,
        *,
        on_rollback: Callable[[RollbackTrainer, TrainingEvent], None] | None = None,
        on_save: Callable[[RollbackTrainer, TrainingEvent], None] | None = None,
    ) -> TrainingEventLog:
        """Run ``steps`` more gradient steps; return the (cumulative) ``TrainingEventLog``.

        ``on_rollback(trainer, event)`` runs right after each rollback or restart, before the
        next step; ``on_save(trainer, event)`` right after each checkpoint. Notebook 02 uses
        them to compare the weights after a rollback with those saved, bitwise.
        Raises ``DivergenceError`` when a divergence comes after ``max_rollbacks`` rollbacks.
        """
        steps = check_int("steps", steps, minimum=0)
        if self.step == 0 and not len(self.log):
            self._start(on_save)
        for _ in range(steps):
            lr = self._lr_value
            x_batch, y_batch = self._batch()
            loss = float(
                gradient_step(
                    self.weights, self.bias, self._lr, x_batch, y_batch, self._x, self._y,
                    self.naive,
                )
            )  # fmt: skip
            self.step += 1
            self.state.step.assign(self.step)
            self.log.add(self.step, "step", loss, lr)
            reason = self.policy.check(loss, self.best_loss)
            if reason is None:
                self.best_loss = loss if self.best_loss is None else min(self.best_loss, loss)
                if self.manager is not None:
                    self._save(loss, on_save)
                continue
            if self.strategy == "none":
                if reason in ("nan", "inf"):  # nothing to go back to: stop, like TerminateOnNaN
                    self.log.add(self.step, "stop", loss, lr, reason=reason)
                    break
                continue
            event = self._recover(reason, loss)
            if on_rollback is not None:
                on_rollback(self, event)
        return self.log

    def _recover(self, reason: str, loss: float) -> TrainingEvent:
        lr = self.learning_rate
        best = "none" if self.best_loss is None else f"{self.best_loss:.4g}"
        stds = [round(float(std), 2) for std in self.dataset.feature_stds()]
        if not self.policy.allows(self.rollbacks):
            self.log.add(self.step, "stop", loss, lr, reason=reason)
            raise DivergenceError(
                f"the loss diverged ({reason}: loss {loss:.4g} at step {self.step}, best so far "
                f"{best}) and max_rollbacks={self.policy.max_rollbacks} rollbacks are used up; "
                f"the learning rate is {lr:.4g} (it started at {self.initial_learning_rate:.4g}). "
                "Try a smaller initial learning rate, a stronger decay (e.g. 0.25), a larger "
                "spike_factor if noise triggered the rollbacks, or standardise the features "
                f"(their standard deviations are {stds})."
            )
        self.rollbacks += 1
        new_lr = self.policy.learning_rate_after(self.initial_learning_rate, self.rollbacks)
        self._lr.assign(new_lr)
        self._lr_value = float(self._lr.numpy())
        if self.strategy == "rollback":
            info = self._checkpoints.restore_best()
            self.state.step.assign(self.step)  # keep counting: steps are work spent
            return self.log.add(
                self.step, "rollback", loss, new_lr, reason=reason, restored=info.name,
                restored_step=info.step, restored_loss=info.metrics["loss"],
            )  # fmt: skip
        self.weights.assign(self._initial[0])
        self.bias.assign(self._initial[1])
        self.best_loss = None
        return self.log.add(self.step, "restart", loss, new_lr, reason=reason, restored_step=0)


# Notebook 02 (its UML and its code) and ``rollback.explore`` call it ``Trainer``;
# ``course_utils.checkpoints.Trainer`` is notebook 01's Keras trainer, another class.
Trainer = RollbackTrainer
