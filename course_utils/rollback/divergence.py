"""DivergencePolicy: when a loss counts as diverged, and what a rollback does to the rate.

It sits beside ``course_utils.checkpoints.CheckpointPolicy``: that one decides when to *save*,
this one decides when to *go back*. A loss has diverged when it is NaN, infinite, or more than
``spike_factor`` times the best loss seen so far. On divergence the ``RollbackTrainer``
restores the best checkpoint and multiplies the learning rate by ``decay``; after
``max_rollbacks`` it gives up with a ``DivergenceError``. Taught in notebook 02.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from course_utils.validation import check_float, check_int

__all__ = ["DivergenceError", "DivergencePolicy", "give_up_error"]


class DivergenceError(RuntimeError):
    """Training kept diverging after the allowed number of rollbacks."""


@dataclasses.dataclass(frozen=True)
class DivergencePolicy:
    """Rules for detecting divergence and recovering from it.

    Args:
        spike_factor: a finite loss above ``spike_factor * best`` is a spike; must be > 1.
            ``None`` turns spike detection off (only NaN and infinity count).
        decay: the learning rate is multiplied by this after each rollback, in (0, 1].
            ``1.0`` keeps the rate, which with deterministic data repeats the same divergence.
        max_rollbacks: give up (``DivergenceError``) on the next divergence after this many
            rollbacks; ``None`` means no bound (only the step budget ends the run).
    """

    spike_factor: float | None = 10.0
    decay: float = 0.5
    max_rollbacks: int | None = 5

    def __post_init__(self) -> None:
        check_float("spike_factor", self.spike_factor, above=1, optional=True)  # e.g. 10
        check_float("decay", self.decay, above=0, maximum=1)  # e.g. 0.5
        check_int("max_rollbacks", self.max_rollbacks, minimum=0, optional=True)

    def check(self, loss: float, best: float | None) -> str | None:
        """Why ``loss`` counts as diverged ("nan", "inf" or "spike"), or None if it does not.

        ``best`` is the best (lowest) finite loss so far, or None before there is one.
        """
        loss = float(loss)
        if math.isnan(loss):
            return "nan"
        if math.isinf(loss):
            return "inf"
        if self.spike_factor is not None and best is not None and math.isfinite(best):
            if loss > self.spike_factor * best:
                return "spike"
        return None

    def learning_rate_after(self, initial: float, rollbacks: int) -> float:
        """The learning rate after ``rollbacks`` rollbacks: ``initial * decay**rollbacks``."""
        rollbacks = check_int("rollbacks", rollbacks, minimum=0)
        return float(initial) * float(self.decay) ** rollbacks

    def allows(self, rollbacks_done: int) -> bool:
        """True if one more rollback is allowed after ``rollbacks_done`` of them."""
        return self.max_rollbacks is None or rollbacks_done < self.max_rollbacks


def give_up_error(
    policy: DivergencePolicy,
    *,
    reason: str,
    loss: float,
    step: int,
    best: float | None,
    learning_rate: float,
    initial: float,
    feature_stds: Sequence[float],
) -> DivergenceError:
    """The ``DivergenceError`` a trainer raises when ``policy`` allows no more rollbacks.

    Its message says what happened and what to try next.
    """
    shown_best = "none" if best is None else f"{best:.4g}"
    stds = [round(float(std), 2) for std in feature_stds]
    return DivergenceError(
        f"the loss diverged ({reason}: loss {loss:.4g} at step {step}, best so far {shown_best}) "
        f"and max_rollbacks={policy.max_rollbacks} rollbacks are used up; the learning rate is "
        f"{learning_rate:.4g} (it started at {initial:.4g}). Try a smaller initial learning "
        "rate, a stronger decay (e.g. 0.25), a larger spike_factor if noise triggered the "
        f"rollbacks, or standardise the features (their standard deviations are {stds})."
    )
