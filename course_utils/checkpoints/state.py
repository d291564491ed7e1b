"""ModelState: everything an exact resume needs, as one ``tf.train.Checkpoint``.

``tf.train.Checkpoint(model=...)`` saves weights; an *exact* resume needs more:

=================  ===============================================================
model              weights (and BatchNormalization statistics)
optimizer          slots (e.g. Adam's moments), iteration count, learning rate
step, epoch        where training is
iterator           the ``tf.data`` iterator's position (and shuffle buffer)
rng                a ``tf.random.Generator`` used in the step (noise, augmentation)
dropout_seeds      Keras 3 Dropout seed-generator state, which ``model=`` leaves out
variables          any other ``tf.Variable`` (notebook 02's logistic regression)
=================  ===============================================================

Taught in notebook 01; notebook 02 uses it with plain variables.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

from course_utils._tf import tensorflow

tf = tensorflow()

__all__ = ["ModelState", "dropout_seed_variables"]

_OPTIONAL_PARTS = ("iterator", "rng", "dropout_seeds")


def dropout_seed_variables(model) -> dict[str, Any]:
    """The seed-generator state variables of a Keras 3 model (Dropout, noise layers)."""
    # Keyed by position, not by name: Keras numbers layer names per process ("seed_generator_2"),
    # so the same architecture built twice must still match its checkpoint.
    seeds = [v for v in model.non_trainable_variables if "seed_generator_state" in v.path]
    return {f"seed_{index}": variable.value for index, variable in enumerate(seeds)}


class ModelState:
    """The state of a training run, saved and restored as a unit.

    Args:
        model: a Keras model (optional for notebook 02, which uses ``variables``).
        optimizer: a Keras optimizer; built on the model's variables so that its slots exist.
        iterator: the ``tf.data`` iterator the training loop draws batches from.
        rng: a ``tf.random.Generator`` used inside the training step.
        variables: extra named ``tf.Variable``s.
        leave_out: names among ``"iterator"``, ``"rng"``, ``"dropout_seeds"`` to NOT save.
            Only for demonstrating what goes wrong without them (notebook 01).
    """

    def __init__(
        self,
        model=None,
        optimizer=None,
        *,
        iterator=None,
        rng=None,
        variables: Mapping[str, Any] | None = None,
        leave_out: Iterable[str] = (),
    ) -> None:
        leave_out = set(leave_out)
        unknown = leave_out - set(_OPTIONAL_PARTS)
        if unknown:
            raise ValueError(f"leave_out accepts {_OPTIONAL_PARTS}, got unknown {sorted(unknown)}")
        if model is None and not variables:
            raise ValueError("ModelState needs a model or some variables to save")
        if optimizer is not None and model is None and not variables:
            raise ValueError("an optimizer needs the model whose variables it trains")
        self.model, self.optimizer = model, optimizer
        self.iterator, self.rng = iterator, rng
        # ONLY_FIRST_REPLICA: inside a tf.distribute strategy's scope these become mirrored
        # counters that every replica agrees on (notebook 06).
        counter = {"dtype": tf.int64, "trainable": False}
        counter["aggregation"] = tf.VariableAggregation.ONLY_FIRST_REPLICA
        self.step = tf.Variable(0, name="step", **counter)
        self.epoch = tf.Variable(0, name="epoch", **counter)
        self.variables = dict(variables or {})
        parts: dict[str, Any] = {"step": self.step, "epoch": self.epoch}
        if model is not None:
            parts["model"] = model
            seeds = dropout_seed_variables(model)
            if seeds and "dropout_seeds" not in leave_out:
                parts["dropout_seeds"] = seeds
        if optimizer is not None:
            if model is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)  # slots exist: restore is immediate
            parts["optimizer"] = optimizer
        if iterator is not None and "iterator" not in leave_out:
            parts["iterator"] = iterator
        if rng is not None and "rng" not in leave_out:
            parts["rng"] = rng
        if self.variables:
            parts["variables"] = self.variables
        self.parts = tuple(sorted(parts))
        self.checkpoint = tf.train.Checkpoint(**parts)

    def __repr__(self) -> str:
        return f"ModelState(step={self.step_number}, epoch={self.epoch_number}, saves={self.parts})"

    @property
    def step_number(self) -> int:
        """The step counter as a Python int (also for a mirrored counter under a strategy)."""
        return int(self.step.numpy())

    @property
    def epoch_number(self) -> int:
        """The epoch counter as a Python int."""
        return int(self.epoch.numpy())

    def write(self, prefix: str | pathlib.Path) -> None:
        """Write the state to ``prefix`` (``prefix.index`` + ``prefix.data-*``)."""
        self.checkpoint.write(str(prefix))

    def read(self, prefix: str | pathlib.Path) -> None:
        """Restore the state written at ``prefix``; every saved value must find its variable."""
        status = self.checkpoint.read(str(prefix))
        try:
            status.assert_existing_objects_matched()
        except AssertionError as error:
            raise ValueError(
                f"the checkpoint at {prefix} does not match this ModelState: {error}"
            ) from None

    def weights(self) -> list:
        """Copies of the model's (or the extra variables') current values, as NumPy arrays."""
        if self.model is not None:
            return [variable.numpy().copy() for variable in self.model.weights]
        return [variable.numpy().copy() for variable in self.variables.values()]
