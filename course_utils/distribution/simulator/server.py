"""``CentralServer``: synchronous rounds of distribute, process, aggregate, update (notebook 07).

Each round the server broadcasts the model version (and, in real mode, the weights) with each
worker's partition, waits for every acknowledgement up to ``timeout`` seconds (the barrier),
aggregates, updates and increments the version. A worker that raises or does not answer in time
is reported by name and round; with ``reassign=True`` its items go to the survivors and the round
still completes. ``run`` always shuts every thread down, also when it raises.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Mapping
from typing import cast

import numpy as np

from course_utils.distribution.simulator.events import EventLog
from course_utils.distribution.simulator.partitioner import DataPartitioner
from course_utils.distribution.simulator.results import RoundRecord, SimulationResult
from course_utils.distribution.simulator.work import Ack, Task, Work
from course_utils.distribution.simulator.worker import Fault, Worker, WorkerFailure
from course_utils.validation import (
    check_bool,
    check_float,
    check_int,
    check_positive_float,
    check_positive_int,
)

__all__ = ["CentralServer"]

_EMPTY = np.empty(0, dtype=np.int64)


class CentralServer:
    """Coordinate ``num_workers`` ``Worker`` threads through synchronous rounds.

    Concept mode: ``work=SimulatedWork(...)`` and ``num_items`` batches; the model is only a
    version number. Real mode: ``work=LogisticGradientWork(x, y)``; the server averages the
    workers' gradients *weighted by partition size* and takes a gradient-descent step.

    Args:
        stragglers: ``{worker_index: extra_seconds}`` added to that worker's every task.
        faults: ``{worker_index: Fault(...)}``.
        timeout: seconds the server waits for all acknowledgements of a round.
        reassign: on a failure, give the failed worker's items to the survivors and go on;
            otherwise raise ``WorkerFailure``.
    """

    def __init__(
        self,
        num_workers: int,
        work: Work,
        *,
        num_items: int | None = None,
        learning_rate: float = 0.5,
        weights: np.ndarray | None = None,
        timeout: float = 2.0,
        stragglers: Mapping[int, float] | None = None,
        faults: Mapping[int, Fault] | None = None,
        reassign: bool = False,
        shuffle: bool = False,
        seed: int = 0,
    ) -> None:
        self.partitioner = DataPartitioner(num_workers, shuffle=shuffle, seed=seed)
        self.num_workers = self.partitioner.num_workers
        if num_items is None:
            num_items = getattr(work, "num_items", None)
            if num_items is None:
                raise ValueError("num_items is required for concept mode (how many batches?)")
        timeout = check_positive_float("timeout (seconds)", timeout, allow_inf=True)
        self.stragglers = dict(stragglers or {})
        self.faults = dict(faults or {})
        for index in [*self.stragglers, *self.faults]:
            check_int("worker index", index)
            if not 0 <= index < self.num_workers:
                raise ValueError(f"worker index {index} is outside 0..{self.num_workers - 1}")
        for index, delay in self.stragglers.items():
            check_float(f"straggler delay of worker {index} (seconds)", delay, minimum=0)
        for index, fault in self.faults.items():
            if not isinstance(fault, Fault):
                raise TypeError(f"faults[{index}] must be a Fault, got {type(fault).__name__}")
        learning_rate = check_positive_float("learning_rate", learning_rate)
        self.work, self.timeout, self.reassign = work, timeout, check_bool("reassign", reassign)
        self.learning_rate = learning_rate
        num_items = check_positive_int("num_items", num_items)
        self.partitions = self.partitioner.partition(num_items)
        self.num_items = int(num_items)
        x = getattr(work, "x", None)
        if weights is None and x is not None:
            weights = np.zeros(x.shape[1])
        self.weights = None if weights is None else np.array(weights, dtype=np.float64)
        self.version = 0
        self.log = EventLog()
        self.workers: list[Worker] = []
        self.dead: set[int] = set()
        self._task_ids = itertools.count()

    def ideal_round_seconds(self) -> float:
        """The cost model of a concept-mode round: what it takes with zero coordination overhead.

        Every worker needs ``len(partition) * seconds_per_batch`` plus its straggler delay, and
        the barrier waits for the slowest: the round takes the *maximum* of those times (not
        their sum: the workers run in parallel; not their mean: everybody waits). Measured rounds
        take this plus the coordination overhead. Real mode has no cost model (``ValueError``).
        """
        seconds_per_batch = getattr(self.work, "seconds_per_batch", None)
        if seconds_per_batch is None:
            raise ValueError("ideal_round_seconds needs concept mode (work=SimulatedWork(...))")
        return max(
            len(part) * seconds_per_batch + self.stragglers.get(index, 0.0)
            for index, part in enumerate(self.partitions)
            if index not in self.dead
        )

    # -- the life cycle: start, run, always shut down ---------------------------------------
    def run(self, rounds: int) -> SimulationResult:
        """Run ``rounds`` rounds (threads start here and are always joined before returning)."""
        rounds = check_positive_int("rounds", rounds)
        result = SimulationResult(self.version, self.weights, self.log)
        self._start()
        try:
            self._run(rounds, result)
        finally:
            result.leaked_threads = self._shutdown()
            result.version, result.weights = self.version, self.weights
            result.failed = [self.workers[i].name for i in sorted(self.dead)]
        return result

    def _start(self) -> None:
        self.outbox: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.workers = [
            Worker(
                f"worker-{i}",
                self.work,
                self.outbox,
                self.stop,
                self.log,
                delay=self.stragglers.get(i, 0.0),
                fault=self.faults.get(i),
            )
            for i in range(self.num_workers)
        ]
        for worker in self.workers:
            worker.start()
        self.log.record("server", 0, "start", f"{self.num_workers} workers")

    def _shutdown(self) -> list[str]:
        """Set ``stop``, wake every worker, join them all; return the names still alive."""
        self.stop.set()
        for worker in self.workers:
            worker.inbox.put(None)
        for worker in self.workers:
            worker.join(timeout=max(1.0, self.timeout))
        leaked = [w.name for w in self.workers if w.is_alive()]
        self.log.record("server", -1, "shutdown", f"threads left alive: {leaked or 'none'}")
        return leaked

    # -- one synchronous round ---------------------------------------------------------------
    def _run(self, rounds: int, result: SimulationResult) -> None:
        for r in range(1, rounds + 1):
            result.rounds.append(self._round(r))

    def _send(self, index: int, round_: int, indices: np.ndarray) -> int:
        task_id = next(self._task_ids)
        weights = None if self.weights is None else self.weights.copy()
        self.workers[index].inbox.put(Task(task_id, round_, self.version, indices, weights))
        return task_id

    def _collect(self, sent: dict[int, int], round_: int) -> tuple[list[Ack], dict[int, str]]:
        """Wait for the acks of ``sent`` (task id -> worker index) until the deadline."""
        deadline = time.perf_counter() + self.timeout
        acks: list[Ack] = []
        failures: dict[int, str] = {}
        while sent:
            try:
                ack = self.outbox.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                break
            index = sent.pop(ack.task_id, None)
            if index is None:
                self.log.record("server", round_, "stale_ack", f"{ack.worker}, ignored")
            elif ack.error is not None:
                failures[index] = f"raised {ack.error}"
            else:
                acks.append(ack)
                self.log.record("server", round_, "ack", ack.worker)
        for index in sent.values():
            failures[index] = f"no acknowledgement within the {self.timeout:g} s timeout (hung?)"
        return acks, failures

    def _round(self, r: int) -> RoundRecord:
        start = self.log.record("server", r, "broadcast", f"version {self.version}")
        alive = [i for i in range(self.num_workers) if i not in self.dead]
        pending = {i: self.partitions[i] for i in alive}
        acks: list[Ack] = []
        failed: list[str] = []
        while pending:
            sent = {self._send(i, r, idx): i for i, idx in pending.items()}
            self.log.record("server", r, "wait", f"barrier: {len(sent)} acknowledgements due")
            got, failures = self._collect(sent, r)
            acks.extend(got)
            for index, reason in sorted(failures.items()):
                name = self.workers[index].name
                self.log.record("server", r, "failure", f"{name}: {reason}")
                failed.append(name)
                self.dead.add(index)
            if not failures:
                break
            if not self.reassign or len(self.dead) == self.num_workers:
                index, reason = min(failures.items())
                if len(self.dead) == self.num_workers:
                    reason += "; no surviving worker to take over its items"
                raise WorkerFailure(self.workers[index].name, r, reason)
            orphans = [
                pending.get(i) if i in failures else _EMPTY for i in range(len(self.workers))
            ]
            self.partitions, _ = DataPartitioner.reassign(self.partitions, sorted(self.dead))
            _, extra = DataPartitioner.reassign(cast(list[np.ndarray], orphans), sorted(self.dead))
            pending = {i: extra[i] for i in range(self.num_workers) if len(extra[i])}
            alive = [i for i in alive if i not in self.dead]
            self.log.record(
                "server",
                r,
                "reassign",
                f"{sum(map(len, extra))} items to {[self.workers[i].name for i in alive]}",
            )
        return self._aggregate_and_update(r, start.t, acks, tuple(failed))

    def _aggregate_and_update(
        self, r: int, t0: float, acks: list[Ack], failed: tuple[str, ...]
    ) -> RoundRecord:
        acks = sorted(acks, key=lambda a: a.task_id)  # a fixed order: reproducible sums
        total = sum(a.n_items for a in acks)
        if total != self.num_items:
            raise RuntimeError(f"round {r}: {total} items acknowledged, expected {self.num_items}")
        if self.weights is None:  # concept mode: count the processed batches
            detail = f"{sum(a.result for a in acks)} batches from {len(acks)} acks"
        else:  # real mode: weight each mean gradient by its partition size (not a plain mean)
            gradient = sum(a.n_items * a.result for a in acks if a.n_items) / total
            self.weights = self.weights - self.learning_rate * gradient
            detail = f"gradient of {total} items from {len(acks)} acks"
        self.log.record("server", r, "aggregate", detail)
        self.version += 1
        end = self.log.record("server", r, "update", f"version {self.version}")
        loss_fn = getattr(self.work, "loss", None)
        loss = loss_fn(self.weights) if (loss_fn and self.weights is not None) else None
        return RoundRecord(r, self.version, end.t - t0, failed, loss)
