"""DivergencePolicy: when a loss counts as diverged, and what a rollback does to the rate.

It sits beside ``course_utils.checkpoints.CheckpointPolicy``: that one decides when to *save*,
this one decides when to *go back*. A loss has diverged when it is NaN, infinite, or more than
``spike_factor`` times the best loss seen so far. On divergence the ``Trainer`` restores the best
checkpoint and multiplies the learning rate by ``decay``; after ``max_rollbacks`` it gives up
with a ``DivergenceError``. Taught in notebook 02.
"""

from __future__ import annotations

import dataclasses
import math

__all__ = ["DivergenceError", "DivergencePolicy"]


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
        if self.spike_factor is not None and not (
            isinstance(self.spike_factor, (int, float)) and self.spike_factor > 1
        ):
            raise ValueError(
                f"spike_factor must be > 1 (e.g. 10) or None, got {self.spike_factor!r}"
            )
        if not (isinstance(self.decay, (int, float)) and 0 < self.decay <= 1):
            raise ValueError(f"decay must be in (0, 1], e.g. 0.5, got {self.decay!r}")
        if self.max_rollbacks is not None and (
            not isinstance(self.max_rollbacks, int)
            or isinstance(self.max_rollbacks, bool)
            or self.max_rollbacks < 0
        ):
            raise ValueError(
                f"max_rollbacks must be an int >= 0 or None, got {self.max_rollbacks!r}"
            )

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
        if not isinstance(rollbacks, int) or rollbacks < 0:
            raise ValueError(f"rollbacks must be an int >= 0, got {rollbacks!r}")
        return float(initial) * float(self.decay) ** rollbacks

    def allows(self, rollbacks_done: int) -> bool:
        """True if one more rollback is allowed after ``rollbacks_done`` of them."""
        return self.max_rollbacks is None or rollbacks_done < self.max_rollbacks
