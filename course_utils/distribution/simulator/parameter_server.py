"""``ParameterServer``: asynchronous updates, applied as gradients arrive (notebook 07).

There is no barrier: each worker pulls the current weights, computes a gradient on its partition
and pushes it; the server applies it at once and sends that worker the new weights. A gradient
computed on version ``v`` and applied when the model is at version ``V`` has *staleness*
``V - v``: the number of updates that happened while it was being computed. A straggler's
gradients are the stalest.
"""

from __future__ import annotations

import queue
import time

from course_utils.distribution.simulator.partitioner import DataPartitioner
from course_utils.distribution.simulator.results import SimulationResult, UpdateRecord
from course_utils.distribution.simulator.server import CentralServer
from course_utils.distribution.simulator.worker import WorkerFailure

__all__ = ["ParameterServer"]


class ParameterServer(CentralServer):
    """Same workers and arguments as ``CentralServer``, but asynchronous updates.

    ``run(rounds)`` lets every worker compute ``rounds`` gradients (as many passes over the data
    as ``rounds`` synchronous rounds). Each gradient is applied with the learning rate scaled by
    the worker's share of the items, so one fresh gradient from every worker moves the weights
    about as far as one synchronous step. A worker that fails is reported like in
    ``CentralServer``; with ``reassign=True`` its items go to the survivors' next tasks (the
    gradient it was computing is lost).
    """

    def _run(self, rounds: int, result: SimulationResult) -> None:
        steps = dict.fromkeys(range(self.num_workers), 0)
        in_flight: dict[int, tuple[int, float]] = {}  # task id -> (worker index, deadline)
        for index in range(self.num_workers):
            in_flight[self._send(index, 1, self.partitions[index])] = (index, self._deadline())
        self.log.record("server", 0, "broadcast", f"version {self.version} to every worker")
        while in_flight:
            wait = max(0.0, min(d for _, d in in_flight.values()) - time.perf_counter())
            try:
                ack = self.outbox.get(timeout=wait)
            except queue.Empty:
                now = time.perf_counter()
                late = [t for t, (_, d) in in_flight.items() if d <= now]
                for task_id in late:
                    index, _ = in_flight.pop(task_id)
                    self._fail(
                        index,
                        steps[index] + 1,
                        f"no acknowledgement within the {self.timeout:g} s timeout (hung?)",
                    )
                continue
            if ack.task_id not in in_flight:
                continue
            index, _ = in_flight.pop(ack.task_id)
            if ack.error is not None:
                self._fail(index, steps[index] + 1, f"raised {ack.error}")
                continue
            steps[index] += 1
            result.updates.append(self._apply(ack, len(result.updates) + 1))
            if steps[index] < rounds and index not in self.dead:
                task_id = self._send(index, steps[index] + 1, self.partitions[index])
                in_flight[task_id] = (index, self._deadline())

    def _deadline(self) -> float:
        return time.perf_counter() + self.timeout

    def _apply(self, ack, update: int) -> UpdateRecord:
        staleness = self.version - ack.version
        if self.weights is not None:  # concept mode has only a version number
            share = ack.n_items / self.num_items
            self.weights = self.weights - self.learning_rate * share * ack.result
        self.version += 1
        event = self.log.record(
            "server",
            ack.round,
            "apply",
            f"{ack.worker}'s gradient from version {ack.version}, staleness {staleness}",
        )
        loss_fn = getattr(self.work, "loss", None)
        loss = loss_fn(self.weights) if (loss_fn and self.weights is not None) else None
        return UpdateRecord(update, ack.worker, ack.version, staleness, event.t, loss)

    def _fail(self, index: int, step: int, reason: str) -> None:
        name = self.workers[index].name
        self.log.record("server", step, "failure", f"{name}: {reason}")
        self.dead.add(index)
        if not self.reassign or len(self.dead) == self.num_workers:
            if len(self.dead) == self.num_workers:
                reason += "; no surviving worker to take over its items"
            raise WorkerFailure(name, step, reason)
        self.partitions, _ = DataPartitioner.reassign(self.partitions, sorted(self.dead))
        survivors = [w.name for i, w in enumerate(self.workers) if i not in self.dead]
        self.log.record("server", step, "reassign", f"{name}'s items to {survivors}")
