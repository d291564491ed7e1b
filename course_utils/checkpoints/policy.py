"""CheckpointPolicy: when to save, and which checkpoints to keep.

Saving triggers (any of them): every N steps, every N seconds, or when a monitored metric
improves (``mode`` "min" or "max", by more than ``min_delta``). Keeping: the latest K and the
best K by the monitored metric, where NaN counts as the worst value. Taught in notebook 01;
notebook 02 adds divergence detection on top.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from course_utils.validation import (
    check_bool,
    check_float,
    check_int,
    check_positive_float,
    check_positive_int,
)

__all__ = ["CheckpointPolicy"]


@dataclasses.dataclass(frozen=True)
class CheckpointPolicy:
    """Rules for the ``CheckpointManager``. All fields are optional; the default keeps 3."""

    every_n_steps: int | None = None
    every_n_seconds: float | None = None
    monitor: str | None = None
    mode: str = "min"
    min_delta: float = 0.0
    save_on_improvement: bool = False
    keep_latest: int | None = 3
    keep_best: int = 0

    def __post_init__(self) -> None:
        check_positive_int("every_n_steps", self.every_n_steps, optional=True)
        check_positive_int("keep_latest", self.keep_latest, optional=True)
        check_int("keep_best", self.keep_best, minimum=0)
        check_positive_float("every_n_seconds", self.every_n_seconds, optional=True)
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")
        check_float("min_delta", self.min_delta, minimum=0)
        check_bool("save_on_improvement", self.save_on_improvement)
        if (self.save_on_improvement or self.keep_best) and not self.monitor:
            raise ValueError("save_on_improvement and keep_best need monitor='<metric name>'")

    def score(self, value: float | None) -> float:
        """A number where larger is better; NaN, infinities the wrong way and None are worst."""
        if value is None or math.isnan(value):
            return -math.inf
        return -value if self.mode == "min" else value

    def is_improvement(self, value: float | None, best: float | None) -> bool:
        """True if ``value`` beats ``best`` by more than ``min_delta`` (any finite beats None)."""
        if value is None or math.isnan(value) or math.isinf(value):
            return False
        if best is None or math.isnan(best):
            return True
        return self.score(value) > self.score(best) + self.min_delta

    def reason_to_save(
        self,
        *,
        step: int,
        seconds_since_save: float,
        metrics: Mapping[str, float],
        best: float | None,
    ) -> str | None:
        """Why a checkpoint is due at this step ("every_n_steps", ...), or None."""
        if self.every_n_steps and step > 0 and step % self.every_n_steps == 0:
            return "every_n_steps"
        if self.every_n_seconds and seconds_since_save >= self.every_n_seconds:
            return "every_n_seconds"
        if self.save_on_improvement and self.monitor is not None and self.monitor in metrics:
            if self.is_improvement(metrics[self.monitor], best):
                return "improvement"
        return None

    def to_keep(self, checkpoints: Sequence[tuple[str, int, float | None]]) -> set[str]:
        """Names to keep among ``(name, step, monitored value)`` triples."""
        if self.keep_latest is None:
            return {name for name, _, _ in checkpoints}
        by_step = sorted(checkpoints, key=lambda item: item[1], reverse=True)
        keep = {name for name, _, _ in by_step[: self.keep_latest]}
        if self.keep_best:
            by_score = sorted(checkpoints, key=lambda item: (self.score(item[2]), item[1]))
            keep |= {name for name, _, _ in by_score[::-1][: self.keep_best]}
        return keep
