"""TrainingEventLog: what happened in a run of notebook 02, step by step.

The plots and the self-checks read it.

Each entry is a ``TrainingEvent(step, kind, loss, learning_rate, detail)`` with ``kind`` one of:

- ``"step"``: one gradient step; ``loss`` is the training loss of the weights after it.
- ``"save"``: a checkpoint was written (``detail``: name, reason, seconds, checkpoints held).
- ``"rollback"``: divergence was detected and the best checkpoint restored (``detail``: why,
  which checkpoint, its step and loss, the new learning rate).
- ``"restart"``: the run started again from the initial weights (the restart strategy).
- ``"stop"``: the run ended early (``detail``: why).

Taught in notebook 02.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["TrainingEvent", "TrainingEventLog"]

KINDS = ("step", "save", "rollback", "restart", "stop")


@dataclasses.dataclass(frozen=True)
class TrainingEvent:
    """One thing that happened at a global step."""

    step: int
    kind: str
    loss: float
    learning_rate: float
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)


class TrainingEventLog:
    """An append-only list of ``TrainingEvent``s with views for plotting and checking."""

    def __init__(self) -> None:
        self.events: list[TrainingEvent] = []

    def add(
        self, step: int, kind: str, loss: float, learning_rate: float, **detail: Any
    ) -> TrainingEvent:
        """Append an event and return it."""
        if kind not in KINDS:
            raise ValueError(f"event kind must be one of {KINDS}, got {kind!r}")
        event = TrainingEvent(int(step), kind, float(loss), float(learning_rate), dict(detail))
        self.events.append(event)
        return event

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def __repr__(self) -> str:
        counts = {kind: len(self.of_kind(kind)) for kind in KINDS}
        text = ", ".join(f"{count} {kind}s" for kind, count in counts.items() if count)
        return f"TrainingEventLog({text or 'empty'})"

    def of_kind(self, kind: str) -> list[TrainingEvent]:
        """All events of one kind, in order."""
        return [event for event in self.events if event.kind == kind]

    @property
    def steps(self) -> np.ndarray:
        """Global step of every gradient step."""
        return np.array([e.step for e in self.of_kind("step")], dtype=np.int64)

    @property
    def losses(self) -> np.ndarray:
        """Training loss after every gradient step (NaN and inf kept as they were)."""
        return np.array([e.loss for e in self.of_kind("step")], dtype=np.float64)

    @property
    def learning_rates(self) -> np.ndarray:
        """The learning rate each gradient step used."""
        return np.array([e.learning_rate for e in self.of_kind("step")], dtype=np.float64)

    @property
    def rollbacks(self) -> list[TrainingEvent]:
        return self.of_kind("rollback")

    @property
    def restarts(self) -> list[TrainingEvent]:
        return self.of_kind("restart")

    @property
    def saves(self) -> list[TrainingEvent]:
        return self.of_kind("save")

    @property
    def final_loss(self) -> float:
        """The loss after the last gradient step (NaN if there was none)."""
        losses = self.losses
        return float(losses[-1]) if len(losses) else float("nan")

    def first_step_below(self, target: float) -> int | None:
        """The first global step whose loss is below ``target``, or None."""
        for event in self.of_kind("step"):
            if event.loss < target:
                return event.step
        return None

    def steps_lost(self) -> int:
        """Steps whose progress was thrown away by rollbacks and restarts.

        For each recovery: its step minus the later of the step it went back to and the
        previous recovery (steps already counted once are not counted twice).
        """
        lost, previous = 0, 0
        for event in self.events:
            if event.kind in ("rollback", "restart"):
                lost += event.step - max(int(event.detail.get("restored_step", 0)), previous)
                previous = event.step
        return lost

    def diverged(self) -> bool:
        """True if any step's loss was NaN or infinite."""
        return bool(np.any(~np.isfinite(self.losses)))

    def table(self, kinds: tuple[str, ...] = ("save", "rollback", "restart", "stop")) -> str:
        """A compact text table of the non-step events (what the notebook prints)."""
        lines = [f"{'step':>5}  {'event':<8}  {'loss':>10}  {'lr':>9}  detail"]
        for event in self.events:
            if event.kind in kinds:
                shown = {k: v for k, v in event.detail.items() if k != "seconds"}
                detail = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
                lines.append(
                    f"{event.step:>5}  {event.kind:<8}  {event.loss:>10.4g}  "
                    f"{event.learning_rate:>9.4g}  {detail}"
                )
        return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
