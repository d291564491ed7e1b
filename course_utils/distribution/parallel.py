"""Parallel processing: independent tasks in separate processes, retried one by one (notebook 06).

The contrast to the Distribution Strategy pattern (``synchronised.py``): here each task (a small
NumPy model, one per learning rate) runs in its own process with ``concurrent.futures``; the tasks
share nothing while they work, each sends its result back once at the end, and a task that fails
is run again on its own while the others' results are kept (``run_independent``).

Neither this module nor its task processes import TensorFlow.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_utils.distribution.demo import make_classification_data
from course_utils.validation import check_positive_float, check_positive_int

__all__ = [
    "Attempt",
    "IndependentRun",
    "InjectedFailure",
    "TaskResult",
    "run_independent",
    "train_task",
]


class InjectedFailure(RuntimeError):
    """The failure a task was told to simulate."""


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """What an independent task sends back, once, when it ends."""

    learning_rate: float
    weights: np.ndarray
    loss: float
    pid: int


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One run of one task: whether it failed, and which process ran it (-1 if it failed)."""

    learning_rate: float
    attempt: int
    pid: int
    ok: bool


@dataclasses.dataclass(frozen=True)
class IndependentRun:
    results: dict[float, TaskResult]  # by learning rate
    attempts: list[Attempt]  # in the order they finished
    seconds: float


def train_task(learning_rate: float, *, steps: int = 200, fail: bool = False) -> TaskResult:
    """Logistic regression by gradient descent on notebook 06's data: one independent task.

    With ``fail=True`` it raises ``InjectedFailure`` half way through (its work so far is lost).
    """
    learning_rate = check_positive_float("learning_rate", learning_rate)
    steps = check_positive_int("steps", steps)
    x, y = make_classification_data()
    x, y = x.astype(np.float64), y[:, 0].astype(np.float64)
    w = np.zeros(x.shape[1])
    for step in range(steps):
        if fail and step == steps // 2:
            raise InjectedFailure(f"task lr={learning_rate} failed at step {step} (injected)")
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        w = w - learning_rate * x.T @ (p - y) / len(y)
    p = np.clip(1.0 / (1.0 + np.exp(-(x @ w))), 1e-12, 1 - 1e-12)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return TaskResult(learning_rate, w, loss, os.getpid())


def _wait_for_peers(barrier: Any) -> None:
    barrier.wait(timeout=60)  # a pool process that never starts breaks the pool, no hang


def run_independent(
    learning_rates: Sequence[float],
    *,
    steps: int = 200,
    failures: Mapping[float, int] | None = None,
    max_workers: int = 2,
    max_attempts: int = 3,
) -> IndependentRun:
    """Train one model per learning rate in a process pool; retry a failed task on its own.

    ``failures[lr] = k`` makes the first ``k`` attempts of that task fail. The pool uses
    ``spawn``: forking a process that runs TensorFlow threads is unsafe.
    """
    rates = [check_positive_float("learning_rates item", lr) for lr in learning_rates]
    if len(set(rates)) != len(rates):
        raise ValueError(f"learning_rates must be distinct, got {rates}")
    failures = dict(failures or {})
    max_attempts = check_positive_int("max_attempts", max_attempts)
    tries = dict.fromkeys(rates, 0)
    results: dict[float, TaskResult] = {}
    attempts: list[Attempt] = []
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    # Every pool process waits for the others before its first task: otherwise the first one to
    # start can run every task before the second has even imported NumPy. The pool starts one
    # process per submitted task up to its size, so with no more processes than tasks all of
    # them start at the first submissions, and a retried task never starts one more (which would
    # wait at the barrier alone).
    workers = min(check_positive_int("max_workers", max_workers), max(1, len(rates)))
    barrier = context.Barrier(workers)
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_wait_for_peers, initargs=(barrier,)
    ) as pool:

        def submit(lr: float) -> concurrent.futures.Future:
            fail = tries[lr] < failures.get(lr, 0)
            tries[lr] += 1
            return pool.submit(train_task, lr, steps=steps, fail=fail)

        pending = {submit(lr): lr for lr in rates}
        while pending:
            done, _ = concurrent.futures.wait(pending, return_when="FIRST_COMPLETED")
            for future in done:
                lr = pending.pop(future)
                error = future.exception()
                if error is None:
                    results[lr] = future.result()
                    attempts.append(Attempt(lr, tries[lr] - 1, results[lr].pid, True))
                    continue
                if not isinstance(error, InjectedFailure) or tries[lr] >= max_attempts:
                    raise error
                attempts.append(Attempt(lr, tries[lr] - 1, -1, False))
                pending[submit(lr)] = lr  # only this task runs again
    return IndependentRun(results, attempts, time.perf_counter() - started)
