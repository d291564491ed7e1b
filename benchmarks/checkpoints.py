"""Benchmark: what a durable, checksummed checkpoint costs, against the disk's own limit.

    python -m benchmarks.checkpoints            # about 50 MB of weights, 7 rounds
    python -m benchmarks.checkpoints --megabytes 10 --rounds 3

Each round runs every operation once, in turn, so that a change in the machine's load hits all
of them alike; the tables show medians over the rounds. Budgets (issue 16):

- durable save (CheckpointManager.save: TensorFlow's write, xxh3_128 checksums, fsync, atomic
  publish, deleting a checkpoint beyond the two kept) <= 1.1x a plain write + fsync of the same
  number of bytes to one file (and its removal). TensorFlow's own write is part of the save, so
  "durable save / tf.train.Checkpoint.write + fsync" is printed too: the part this code adds;
- restore with verification (CheckpointManager.restore) <= 1.3x ``tf.train.Checkpoint.read``;
- async save: the training loop stalls for < 20% of a sync save;
- compression (zstd) is worth turning on only where it wins: the trade-off is shown for a state
  of weights + Adam slots, once with random-like slots and once with slots still zero.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from course_utils.notebook import setup

PLAIN = "plain file write + fsync (baseline)"
TF_WRITE = "tf.train.Checkpoint.write"
TF_WRITE_FSYNC = "tf.train.Checkpoint.write + fsync (durable)"
MANAGER_SYNC = "CheckpointManager.save, sync (xxh3_128, fsync)"
ASYNC_STALL = "CheckpointManager.save, async: loop stall"
TF_READ = "tf.train.Checkpoint.read"
STATE_READ = "ModelState.read (the manager's read, unverified)"
MANAGER_RESTORE = "CheckpointManager.restore (verifies xxh3_128)"
SAVE_BUDGET, RESTORE_BUDGET, STALL_BUDGET = 1.1, 1.3, 0.2


def _model(megabytes: float):
    import keras

    # Two Dense layers whose float32 weights add up to about `megabytes`.
    units = int(((megabytes * 1e6 / 4) / 3) ** 0.5)
    return keras.Sequential(
        [keras.Input((2 * units,)), keras.layers.Dense(units), keras.layers.Dense(units)]
    )


def run(megabytes: float, rounds: int) -> dict[str, float]:
    import tensorflow as tf

    from course_utils.checkpoints import (
        CheckpointManager,
        CheckpointPolicy,
        LocalStorage,
        ModelState,
    )

    model = _model(megabytes)
    nbytes = sum(int(v.numpy().nbytes) for v in model.weights)
    root = Path(tempfile.mkdtemp(prefix="ckpt-bench-"))
    checkpoint = tf.train.Checkpoint(model=model)
    # As in issue 16's measurement: the managers delete checkpoints beyond the latest two inside
    # their save, and the baseline removes its file inside the clock.
    policy = CheckpointPolicy(keep_latest=2)
    sync_state = ModelState(model)
    sync_manager = CheckpointManager(sync_state, LocalStorage(root / "sync"), policy)
    async_manager = CheckpointManager(
        ModelState(model), LocalStorage(root / "async"), policy, async_save=True
    )
    checkpoint.write(str(root / "probe" / "state"))  # the baseline writes as many bytes as TF
    payload = os.urandom(sum(p.stat().st_size for p in (root / "probe").iterdir()))

    def plain_write(index: int) -> None:
        with open(root / f"plain-{index}.bin", "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.remove(root / f"plain-{index}.bin")

    def tf_write_durable(index: int) -> None:
        folder = root / f"tf-durable-{index}"
        checkpoint.write(str(folder / "state"))
        for path in folder.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())

    def manager_save(manager: CheckpointManager, index: int) -> None:
        manager.state.step.assign(index + 1)
        manager.save()

    operations = {
        PLAIN: plain_write,
        # Fresh file names every round, as the manager writes: rewriting a file is cheaper.
        TF_WRITE: lambda i: checkpoint.write(str(root / f"tf-{i}" / "state")),
        TF_WRITE_FSYNC: tf_write_durable,
        MANAGER_SYNC: lambda i: manager_save(sync_manager, i),
        ASYNC_STALL: lambda i: manager_save(async_manager, i),
        TF_READ: lambda i: checkpoint.read(str(root / f"tf-durable-{i}" / "state")),
        STATE_READ: lambda i: sync_state.read(root / "sync" / sync_manager.latest.name / "state"),
        MANAGER_RESTORE: lambda i: sync_manager.restore(sync_manager.latest.name),
    }
    times: dict[str, list[float]] = {label: [] for label in operations}
    try:
        for index in range(rounds):
            for label, operation in operations.items():
                start = time.perf_counter()
                operation(index)
                times[label].append(time.perf_counter() - start)
                async_manager.wait()  # the background write is not part of the stall
    finally:
        async_manager.close()
        shutil.rmtree(root, ignore_errors=True)
    print(f"model weights: {nbytes / 1e6:.1f} MB; {rounds} rounds; cpu cores: {os.cpu_count()}")
    return {label: statistics.median(values) for label, values in times.items()}


def _verdict(name: str, value: float, budget: float, unit: str = "x") -> str:
    verdict = "within budget" if value <= budget else "OVER BUDGET"
    shown = f"{value:.1%}" if unit == "%" else f"{value:.2f}x"
    limit = f"{budget:.0%}" if unit == "%" else f"{budget}x"
    return f"{name:58s} {shown:>8s}  (budget <= {limit}: {verdict})"


def compression_cases(megabytes: float, rounds: int, levels: tuple[int, ...]) -> None:
    """The trade-off for weights + Adam slots: random-like slots, then slots still zero."""
    import keras
    import numpy as np

    from course_utils.checkpoints import ModelState
    from course_utils.checkpoints.tradeoff import compression_tradeoff, format_tradeoff

    model = _model(megabytes)
    optimizer = keras.optimizers.Adam()
    state = ModelState(model, optimizer)  # builds the optimizer: its slots exist, all zero
    rng = np.random.default_rng(0)
    slots = [v for v in optimizer.variables if len(v.shape) > 0]
    cases = {"Adam slots still zero (right after build)": None, "Adam slots random-like": rng}
    for title, generator in cases.items():
        if generator is not None:
            for slot in slots:
                slot.assign(generator.normal(0, 1e-3, slot.shape).astype("float32"))
        rows = compression_tradeoff(state, levels, rounds=rounds)
        print(f"\ncompression trade-off, weights + Adam slots, {title}:")
        print(format_tradeoff(rows))
        off, best = rows[0], min(rows[1:], key=lambda row: row.stored_bytes)
        wins = best.ratio <= 0.8 and best.save_seconds <= SAVE_BUDGET * off.save_seconds
        print(
            f"best zstd ({best.setting}) stores {best.ratio:.0%} of the bytes, saves in "
            f"{best.save_seconds / off.save_seconds:.2f}x and restores in "
            f"{best.restore_seconds / off.restore_seconds:.2f}x the time of 'off': "
            + ("compression wins here" if wins else "compression does not win here (default off)")
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--levels", type=int, nargs="+", default=[1, 3], help="zstd levels to compare"
    )
    parser.add_argument("--no-compression", action="store_true", help="skip the trade-off")
    args = parser.parse_args(argv)
    if args.megabytes <= 0 or args.rounds < 1:
        raise ValueError("--megabytes must be > 0 and --rounds >= 1")
    setup(seed=0)
    figures = run(args.megabytes, args.rounds)
    baseline = figures[PLAIN]
    print(f"{'operation':48s} {'median':>10s} {'/ plain write':>14s}")
    for label, seconds in figures.items():
        print(f"{label:48s} {seconds * 1e3:8.1f} ms {seconds / baseline:13.2f}x")
    print()
    print(
        _verdict(
            "durable save / plain write + fsync", figures[MANAGER_SYNC] / baseline, SAVE_BUDGET
        )
    )
    print(
        _verdict(
            "restore with verification / tf.train.Checkpoint.read",
            figures[MANAGER_RESTORE] / figures[TF_READ],
            RESTORE_BUDGET,
        )
    )
    print(
        _verdict(
            "async stall / sync save",
            figures[ASYNC_STALL] / figures[MANAGER_SYNC],
            STALL_BUDGET,
            "%",
        )
    )
    print(
        f"(for reference: durable save / tf.train.Checkpoint.write + fsync: "
        f"{figures[MANAGER_SYNC] / figures[TF_WRITE_FSYNC]:.2f}x)"
    )
    if not args.no_compression:
        compression_cases(args.megabytes, min(args.rounds, 3), tuple(args.levels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
