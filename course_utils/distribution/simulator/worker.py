"""``Worker``: one thread that processes the tasks the server sends it (notebook 07).

A worker takes ``Task``s from its inbox, runs its work on them and puts an ``Ack`` in the
server's queue. It can be made a *straggler* (an extra delay per task) or given a ``Fault``: it
raises, or hangs, in a chosen round.

A Python thread cannot be killed from outside. So every wait in here is a wait on the server's
``stop`` event, which the server sets at shutdown: a "hung" worker blocks on that event and
shutdown can still join it. A real hang inside C code (a stuck BLAS call, a dead socket read)
cannot be interrupted this way; this is one reason production systems run workers as separate
*processes* (which can be killed and restarted) rather than threads.
"""

from __future__ import annotations

import dataclasses
import queue
import threading

from course_utils.distribution.simulator.events import EventLog
from course_utils.distribution.simulator.work import Ack, Stopped, Task, Work
from course_utils.validation import check_float, check_int

__all__ = ["Fault", "Worker", "WorkerFailure"]

_FAULT_KINDS = ("raise", "hang")


@dataclasses.dataclass(frozen=True)
class Fault:
    """Make a worker fail in ``round`` (1-based): ``"raise"`` an exception or ``"hang"``."""

    kind: str
    round: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"Fault kind must be one of {_FAULT_KINDS}, got {self.kind!r}")
        check_int("Fault round", self.round, minimum=1)


class WorkerFailure(RuntimeError):
    """A worker raised or did not acknowledge in time; names the worker and the round."""

    def __init__(self, worker: str, round_: int, reason: str) -> None:
        super().__init__(f"{worker} failed in round {round_}: {reason}")
        self.worker = worker
        self.round = round_
        self.reason = reason


class Worker(threading.Thread):
    """Process tasks from ``inbox`` and acknowledge each one on ``outbox``, in its own thread.

    ``delay`` seconds are added to every task (a straggler). After a failure the worker sends an
    ``Ack`` carrying the error and stops, like a crashed machine; ``None`` in the inbox or the
    ``stop`` event ends it cleanly.
    """

    def __init__(
        self,
        name: str,
        work: Work,
        outbox: queue.Queue,
        stop: threading.Event,
        log: EventLog,
        *,
        delay: float = 0.0,
        fault: Fault | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)  # daemon: a truly stuck thread can't block exit
        delay = check_float(f"{name}: straggler delay (seconds)", delay, minimum=0)
        self.work = work
        self.inbox: queue.Queue = queue.Queue()
        self.outbox = outbox
        self.stop = stop
        self.log = log
        self.delay = float(delay)
        self.fault = fault
        self.tasks_done = 0

    def run(self) -> None:
        while not self.stop.is_set():
            task = self.inbox.get()
            if task is None or self.stop.is_set():
                break
            if not self._process(task):
                break
        self.log.record(self.name, -1, "exit")

    def _process(self, task: Task) -> bool:
        """Run one task; return False if the worker must stop (crashed or shut down)."""
        n = len(task.indices)
        self.log.record(
            self.name, task.round, "compute_start", f"{n} items, version {task.version}"
        )
        try:
            if self.fault is not None and self.fault.round == task.round:
                if self.fault.kind == "raise":
                    raise RuntimeError(f"simulated crash of {self.name}")
                self.log.record(self.name, task.round, "hang", "waiting until shutdown")
                self.stop.wait()
                raise Stopped
            result = self.work(task, self.stop)
            if self.delay > 0 and self.stop.wait(self.delay):
                raise Stopped
        except Stopped:
            self.log.record(self.name, task.round, "interrupted", "stopped by shutdown")
            return False
        except Exception as error:  # a worker must report, never die silently
            self.log.record(self.name, task.round, "error", repr(error))
            self.outbox.put(
                Ack(self.name, task.task_id, task.round, task.version, n, error=repr(error))
            )
            return False
        self.log.record(self.name, task.round, "compute_end", f"{n} items")
        self.tasks_done += 1
        self.outbox.put(Ack(self.name, task.task_id, task.round, task.version, n, result=result))
        return True
