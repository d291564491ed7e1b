"""Benchmark of the notebook 07 simulator: coordination overhead and thread speed-up.

    python -m benchmarks.simulator [--rounds 10] [--trials 5] [--quick]

Prints tables of ratios against 1 worker, measured in the same run. Every number is the fastest
round, with the worker counts taking turns, so that other load on the machine disturbs it least.
1. coordination overhead per round for 1..64 workers (the work takes no time, so what is left
   is broadcast, thread hand-offs, the barrier and the update);
2. real NumPy work (one full-batch logistic-regression gradient) split over k threads:
   speed-up = time with 1 thread / time with k threads.
Threads share one process: NumPy releases the GIL inside its C loops, so k threads can use up to
min(k, cores) cores, but the Python between the calls runs one thread at a time. The BLAS library
behind NumPy (often OpenBLAS) may already use every core for one call: k worker threads on top of
it oversubscribe the cores, so the table is printed twice, as configured and with BLAS limited to
one thread (in a fresh process). Other load on the machine inflates every number.
"""

from __future__ import annotations

import argparse
import os
import sys

from course_utils.distribution.simulator import (
    measure_coordination_overhead,
    measure_thread_speedup,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per run")
    parser.add_argument("--trials", type=int, default=5, help="runs per worker count, in turns")
    parser.add_argument("--quick", action="store_true", help="fewer workers and rows (smoke run)")
    args = parser.parse_args(argv)
    counts = (1, 2, 4) if args.quick else (1, 2, 4, 8, 16, 32, 64)
    print(f"cores seen by this process: {os.cpu_count()}")

    overhead = measure_coordination_overhead(counts, rounds=args.rounds, trials=args.trials)
    base = overhead[counts[0]]
    print("\ncoordination overhead per round (no work)")
    print(f"{'workers':>8} {'ms/round':>10} {'x 1 worker':>11}")
    for k, seconds in overhead.items():
        print(f"{k:>8} {seconds * 1000:>10.3f} {seconds / base:>11.1f}")

    thread_counts = (1, 2, 4) if args.quick else (1, 2, 4, 8)
    rows = 20_000 if args.quick else 100_000
    for blas, label in ((None, "BLAS threads as configured"), (1, "one BLAS thread per worker")):
        seconds = measure_thread_speedup(
            thread_counts,
            num_items=rows,
            rounds=max(2, args.rounds // 4),
            trials=args.trials,
            blas_threads=blas,
            fresh_process=True,
        )
        base = seconds[1]
        print(f"\nreal NumPy work on threads, {label}")
        print(f"({rows} rows x 33 features, one full-batch gradient per round)")
        print(f"{'threads':>8} {'ms/round':>10} {'speed-up':>9}")
        for k, t in seconds.items():
            print(f"{k:>8} {t * 1000:>10.2f} {base / t:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
