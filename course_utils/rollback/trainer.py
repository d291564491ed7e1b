"""RollbackTrainer: logistic regression by gradient descent that rolls back when the loss diverges.

The lecture's code problem, taught in notebook 02 (not notebook 01's Keras trainer
``course_utils.checkpoints.CheckpointedTrainer``, that *resumes* after a crash). A hand-written
model (two ``tf.Variable``s, ``tf.GradientTape``, no ``model.fit``) keeps checkpoints in memory for
*recovery*: when the loss is NaN, infinite or spikes, it restores the best checkpoint, multiplies
the learning rate by ``decay`` and carries on. Persistence is reused from
``course_utils.checkpoints``: ``ModelState``, ``InMemoryStorage``, ``CheckpointPolicy``,
``CheckpointManager``. Two deliberate choices:

- The learning rate is NOT in the checkpoint: restoring it would bring back the rate that just
  diverged. ``checkpoint_learning_rate=True`` makes that mistake on purpose (pitfall 2).
- The step counter keeps counting across rollbacks (the restored ``state.step`` is reset to
  the global step): steps measure work spent, and checkpoint names stay unique.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from course_utils._tf import tensorflow
from course_utils.checkpoints import CheckpointManager, CheckpointPolicy, InMemoryStorage
from course_utils.checkpoints.state import ModelState
from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergencePolicy, give_up_error
from course_utils.rollback.events import TrainingEvent, TrainingEventLog
from course_utils.rollback.logistic import evaluate_loss, gradient_step
from course_utils.validation import check_int, check_positive_float

tf = tensorflow()

__all__ = ["RollbackTrainer", "STRATEGIES", "LOSSES"]

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
        max_checkpoints: the hard bound of the default ``InMemoryStorage``.
        storage: where the checkpoints go; default ``InMemoryStorage(max_checkpoints)``.
        checkpoint_policy: when to save; default: on improvement of the loss by ``min_delta``,
            keeping the latest and the best checkpoint.
        seed: seeds the batch sampler.
        checkpoint_learning_rate: also save (and so restore) the learning rate: a mistake,
            shown in notebook 02 (a rollback then brings back the rate that diverged).
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
        storage: InMemoryStorage | None = None,
        checkpoint_policy: CheckpointPolicy | None = None,
        min_delta: float = 0.01,
        seed: int = 0,
        checkpoint_learning_rate: bool = False,
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
        saved = {"weights": self.weights, "bias": self.bias}
        if checkpoint_learning_rate:
            saved["learning_rate"] = self._lr  # the mistake of pitfall 2
        self.state = ModelState(variables=saved)
        self.storage = storage or InMemoryStorage(max_checkpoints=max_checkpoints)
        if not isinstance(self.storage, InMemoryStorage):
            raise TypeError(f"storage must be an InMemoryStorage, got {type(storage).__name__}")
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
        self._trained = (self.weights, self.bias, self._lr)  # gradient_step's first arguments

    def __repr__(self) -> str:
        return (
            f"RollbackTrainer(strategy={self.strategy!r}, step={self.step}, "
            f"lr={self.learning_rate:.4g}, rollbacks={self.rollbacks}, {self.storage!r})"
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
        x, y = self.dataset.x_val, self.dataset.y_val
        accuracy = float(np.mean(((x @ self.weights.numpy() + self.bias.numpy()) > 0) == (y > 0.5)))
        val_loss = float(evaluate_loss(self.weights, self.bias, x, y, self.naive))
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

    def _save(self, loss: float, on_save, reason: str | None = None) -> None:
        start = time.perf_counter()
        if reason is None:
            info = self._manager().maybe_save({"loss": loss})
        else:
            info = self._manager().save({"loss": loss}, reason=reason)
        if info is not None:
            event = self.log.add(
                self.step, "save", loss, self.learning_rate, name=info.name, reason=info.reason,
                held=len(self.storage.list_checkpoints()), nbytes=self.storage.nbytes(),
                seconds=time.perf_counter() - start,
            )  # fmt: skip
            if on_save is not None:
                on_save(self, event)

    def _manager(self) -> CheckpointManager:
        if self.manager is None:
            raise RuntimeError(f"the {self.strategy!r} strategy keeps no checkpoints")
        return self.manager

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
        next step; ``on_save(trainer, event)`` right after each checkpoint. Raises
        ``DivergenceError`` when a divergence comes after ``max_rollbacks`` rollbacks.
        """
        steps = check_int("steps", steps, minimum=0)
        if self.step == 0 and not len(self.log):
            self._start(on_save)
        for _ in range(steps):
            lr = self._lr_value
            loss = float(
                gradient_step(*self._trained, *self._batch(), self._x, self._y, self.naive)
            )
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
        if not self.policy.allows(self.rollbacks):
            self.log.add(self.step, "stop", loss, lr, reason=reason)
            raise give_up_error(
                self.policy, reason=reason, loss=loss, step=self.step, best=self.best_loss,
                learning_rate=lr, initial=self.initial_learning_rate,
                feature_stds=list(self.dataset.feature_stds()),
            )  # fmt: skip
        self.rollbacks += 1
        new_lr = self.policy.learning_rate_after(self.initial_learning_rate, self.rollbacks)
        self._lr.assign(new_lr)
        if self.strategy == "restart":
            self.weights.assign(self._initial[0])
            self.bias.assign(self._initial[1])
            self.best_loss, self._lr_value = None, float(self._lr.numpy())
            return self.log.add(self.step, "restart", loss, new_lr, reason=reason, restored_step=0)
        info = self._manager().restore_best()  # the rate too, if it is in the checkpoint
        self.state.step.assign(self.step)  # keep counting: steps are work spent
        self._lr_value = float(self._lr.numpy())
        return self.log.add(
            self.step, "rollback", loss, self._lr_value, reason=reason, restored=info.name,
            restored_step=info.step, restored_loss=info.metrics["loss"],
        )  # fmt: skip
