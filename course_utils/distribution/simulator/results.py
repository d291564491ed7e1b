"""What a simulator run returns: per-round and per-update records, the log (notebook 07)."""

from __future__ import annotations

import dataclasses

import numpy as np

from course_utils.distribution.simulator.events import EventLog

__all__ = ["RoundRecord", "UpdateRecord", "SimulationResult"]


@dataclasses.dataclass(frozen=True)
class RoundRecord:
    """One synchronous round: its duration, who failed, the loss after the update (real mode)."""

    round: int
    version: int
    seconds: float
    failed: tuple[str, ...] = ()
    loss: float | None = None


@dataclasses.dataclass(frozen=True)
class UpdateRecord:
    """One asynchronous update: whose gradient, computed on which version, how stale."""

    update: int
    worker: str
    computed_on: int
    staleness: int
    t: float
    loss: float | None = None


@dataclasses.dataclass
class SimulationResult:
    """What ``run`` returns: final version and weights, per-round/update records, the log."""

    version: int
    weights: np.ndarray | None
    log: EventLog
    rounds: list[RoundRecord] = dataclasses.field(default_factory=list)
    updates: list[UpdateRecord] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)
    leaked_threads: list[str] = dataclasses.field(default_factory=list)

    @property
    def round_seconds(self) -> list[float]:
        return [r.seconds for r in self.rounds]
