"""The simulator's event log: every step of every round, with a timestamp (notebook 07).

Workers and servers append ``SimulationEvent`` records from their own threads; the log is what
the notebook turns into a step-by-step trace and a Gantt chart of workers per round.
"""

from __future__ import annotations

import dataclasses
import threading
import time

__all__ = ["SimulationEvent", "EventLog", "Span", "worker_spans", "barrier_spans", "failed_spans"]


@dataclasses.dataclass(frozen=True)
class SimulationEvent:
    """One step: ``t`` seconds since the log started, who did what in which round."""

    t: float
    actor: str
    round: int
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.t * 1000:8.1f} ms  round {self.round:<2} {self.actor:<10} {self.kind}"
        return f"{text}  {self.detail}" if self.detail else text


@dataclasses.dataclass(frozen=True)
class Span:
    """A bar of the Gantt chart: ``actor`` was doing ``kind`` from ``start`` to ``end``."""

    actor: str
    round: int
    kind: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class EventLog:
    """A thread-safe, append-only list of ``SimulationEvent``s timed with ``time.perf_counter``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[SimulationEvent] = []
        self._t0 = time.perf_counter()

    def record(self, actor: str, round_: int, kind: str, detail: str = "") -> SimulationEvent:
        """Append an event stamped with the current time and return it."""
        event = SimulationEvent(time.perf_counter() - self._t0, actor, round_, kind, detail)
        with self._lock:
            self._events.append(event)
        return event

    @property
    def events(self) -> list[SimulationEvent]:
        """A copy of the events in the order they were recorded."""
        with self._lock:
            return list(self._events)

    def select(
        self, *, actor: str | None = None, round_: int | None = None, kind: str | None = None
    ) -> list[SimulationEvent]:
        """The events matching every filter that is given."""
        return [
            e
            for e in self.events
            if (actor is None or e.actor == actor)
            and (round_ is None or e.round == round_)
            and (kind is None or e.kind == kind)
        ]

    def format(self, round_: int | None = None) -> str:
        """The events (of one round, if given) as readable lines."""
        return "\n".join(str(e) for e in self.events if round_ is None or e.round == round_)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


def worker_spans(log: EventLog) -> list[Span]:
    """Pair each worker's ``compute_start`` with its next ``compute_end``: the busy bars."""
    open_: dict[str, SimulationEvent] = {}
    spans: list[Span] = []
    for event in log.events:
        if event.kind == "compute_start":
            open_[event.actor] = event
        elif event.kind == "compute_end" and event.actor in open_:
            start = open_.pop(event.actor)
            spans.append(Span(event.actor, start.round, "compute", start.t, event.t))
    return spans


def barrier_spans(log: EventLog) -> list[Span]:
    """How long each worker sat idle at the barrier: from its acknowledgement to the update.

    Only synchronous rounds have a barrier; the span ends at the server's ``update`` event of the
    same round (for a failed round, nothing is drawn).
    """
    updates = {e.round: e.t for e in log.events if e.kind == "update"}
    spans: list[Span] = []
    for span in worker_spans(log):
        end = updates.get(span.round)
        if end is not None and end >= span.end:
            spans.append(Span(span.actor, span.round, "barrier_wait", span.end, end))
    return spans


def failed_spans(log: EventLog) -> list[Span]:
    """Work that never acknowledged: from ``compute_start`` to the server noticing the failure.

    The span ends at the server's ``failure`` event naming the worker (for a hang, the timeout),
    or at the worker's own ``error`` event if the server never recorded one.
    """
    events = log.events
    spans: list[Span] = []
    open_: dict[str, SimulationEvent] = {}
    for event in events:
        if event.kind == "compute_start":
            open_[event.actor] = event
        elif event.kind == "compute_end":
            open_.pop(event.actor, None)
        elif event.kind in ("error", "hang") and event.actor in open_:
            start = open_.pop(event.actor)
            noticed = [
                e.t
                for e in events
                if e.kind == "failure" and e.detail.startswith(f"{event.actor}:") and e.t >= start.t
            ]
            end = noticed[0] if noticed else event.t
            spans.append(Span(event.actor, start.round, "failed", start.t, end))
    return spans
