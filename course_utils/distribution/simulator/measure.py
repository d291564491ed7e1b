"""Measurements behind notebook 07's plots, as plain functions (the widget and benchmark use them).

Timings from threads depend on the machine and on whatever else runs on it: compare ratios
measured in the same run, never absolute seconds across machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

from course_utils.distribution.simulator.parameter_server import ParameterServer
from course_utils.distribution.simulator.results import SimulationResult
from course_utils.distribution.simulator.server import CentralServer
from course_utils.distribution.simulator.work import (
    LogisticGradientWork,
    SimulatedWork,
    make_logistic_data,
)
from course_utils.validation import check_float, check_positive_int

__all__ = ["measure_coordination_overhead", "measure_thread_speedup", "simulate_schedule"]


def _fastest_round(make_server, worker_counts: Sequence[int], rounds: int, trials: int):
    """Fastest round per worker count; the counts take turns, ``trials`` times.

    Taking turns spreads every count over the whole measurement, so a burst of load from other
    programs does not fall on one count only; like ``timeit``, the minimum is the measurement
    least disturbed. The first round of each run warms up and is not counted.
    """
    rounds = check_positive_int("rounds", rounds)
    trials = check_positive_int("trials", trials)
    best = {k: float("inf") for k in worker_counts}
    for _ in range(trials):
        for k in worker_counts:
            seconds = make_server(k).run(rounds + 1).round_seconds[1:]
            best[k] = min(best[k], *seconds)
    return best


def measure_coordination_overhead(
    worker_counts: Sequence[int] = (1, 2, 4, 8, 16, 32, 64), *, rounds: int = 10, trials: int = 3
) -> dict[int, float]:
    """Seconds per round when the work itself takes no time: pure coordination.

    Each worker gets one batch and ``SimulatedWork(0)``; what is left of a round is the
    broadcast, the thread hand-offs, the barrier and the update. Reported is the fastest round
    (see ``_fastest_round``).
    """
    return _fastest_round(
        lambda k: CentralServer(k, SimulatedWork(0.0), num_items=k, timeout=10.0),
        worker_counts,
        rounds,
        trials,
    )


def measure_thread_speedup(
    worker_counts: Sequence[int] = (1, 2, 4),
    *,
    num_items: int = 100_000,
    num_features: int = 32,
    rounds: int = 3,
    trials: int = 3,
    blas_threads: int | None = None,
    fresh_process: bool = False,
) -> dict[int, float]:
    """Seconds per real-mode round (one full-batch gradient split over k threads), fastest round.

    Each round runs two matrix-vector products over the worker's rows (and copies them first
    if the partition is not contiguous).

    ``blas_threads=None`` keeps whatever number of threads the BLAS library behind NumPy uses;
    ``blas_threads=1`` limits BLAS to one thread, so that the k worker threads are the only
    parallelism. That limit must be set before NumPy is imported, so it is measured in a fresh
    Python process; ``fresh_process=True`` does the same without a limit. A fresh process also
    keeps the thread pools of libraries already loaded here (TensorFlow's) out of the numbers.
    """
    if blas_threads is not None or fresh_process:
        return _measure_in_subprocess(
            worker_counts, num_items, num_features, rounds, trials, blas_threads
        )
    x, y = make_logistic_data(num_items, num_features, seed=0)
    work = LogisticGradientWork(x, y)
    return _fastest_round(
        lambda k: CentralServer(k, work, timeout=60.0), worker_counts, rounds, trials
    )


def _measure_in_subprocess(
    worker_counts: Sequence[int],
    num_items: int,
    num_features: int,
    rounds: int,
    trials: int,
    threads: int | None,
) -> dict[int, float]:
    env = dict(os.environ)
    threads = check_positive_int("blas_threads", threads, optional=True)
    if threads is not None:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    code = (
        "import json, sys\n"
        "from course_utils.distribution.simulator.measure import measure_thread_speedup\n"
        f"r = measure_thread_speedup({list(worker_counts)!r}, num_items={num_items}, "
        f"num_features={num_features}, rounds={rounds}, trials={trials})\n"
        "print(json.dumps(r))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{done.stderr[-2000:]}")
    return {int(k): float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def simulate_schedule(
    num_workers: int = 4,
    straggler_delay: float = 0.05,
    mode: str = "sync",
    *,
    rounds: int = 3,
    batches_per_worker: int = 2,
    seconds_per_batch: float = 0.01,
) -> SimulationResult:
    """Concept-mode run with the last worker as a straggler (the widget of notebook 07).

    ``mode="sync"`` uses ``CentralServer`` (a barrier every round), ``"async"`` the
    ``ParameterServer`` (no barrier; staleness recorded instead).
    """
    if mode not in ("sync", "async"):
        raise ValueError(f"mode must be 'sync' or 'async', got {mode!r}")
    straggler_delay = check_float("straggler_delay (seconds)", straggler_delay, minimum=0)
    server_class = CentralServer if mode == "sync" else ParameterServer
    server = server_class(
        num_workers,
        SimulatedWork(seconds_per_batch),
        num_items=num_workers * batches_per_worker,
        stragglers={num_workers - 1: straggler_delay} if straggler_delay else None,
        timeout=10.0 + straggler_delay,
    )
    return server.run(rounds)
