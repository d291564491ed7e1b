"""Benchmark: what a durable, checksummed checkpoint costs, against the disk's own limit.

    python -m benchmarks.checkpoints            # about 50 MB of weights, 7 rounds
    python -m benchmarks.checkpoints --megabytes 10 --rounds 3

Each round runs every operation once, in turn, so that a change in the machine's load hits all
of them alike; the table shows medians over the rounds and ratios to the plain write (the same
number of bytes written to one file with fsync) measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from course_utils.notebook import setup

PLAIN = "plain file write + fsync (baseline)"
TF_WRITE = "tf.train.Checkpoint.write"
TF_WRITE_FSYNC = "tf.train.Checkpoint.write + fsync (durable)"
MANAGER_SYNC = "CheckpointManager.save, sync (sha256, fsync)"
ASYNC_STALL = "CheckpointManager.save, async: loop stall"


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
    payload = os.urandom(nbytes)
    root = Path(tempfile.mkdtemp(prefix="ckpt-bench-"))
    checkpoint = tf.train.Checkpoint(model=model)
    policy = CheckpointPolicy(keep_latest=2)
    sync_manager = CheckpointManager(ModelState(model), LocalStorage(root / "sync"), policy)
    async_manager = CheckpointManager(
        ModelState(model), LocalStorage(root / "async"), policy, async_save=True
    )

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
        "keras Model.save_weights": lambda i: model.save_weights(root / f"keras-{i}.weights.h5"),
        MANAGER_SYNC: lambda i: manager_save(sync_manager, i),
        ASYNC_STALL: lambda i: manager_save(async_manager, i),
        "tf.train.Checkpoint.read": lambda i: checkpoint.read(str(root / f"tf-{i}" / "state")),
        "keras Model.load_weights": lambda i: model.load_weights(root / f"keras-{i}.weights.h5"),
        "CheckpointManager.restore (verifies sha256)": lambda i: sync_manager.restore(
            sync_manager.latest.name
        ),
    }
    times: dict[str, list[float]] = {label: [] for label in operations}
    for index in range(rounds):
        for label, operation in operations.items():
            start = time.perf_counter()
            operation(index)
            times[label].append(time.perf_counter() - start)
            async_manager.wait()  # the background write is not part of the stall
    print(f"model weights: {nbytes / 1e6:.1f} MB; {rounds} rounds; cpu cores: {os.cpu_count()}")
    return {label: statistics.median(values) for label, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    if args.megabytes <= 0 or args.rounds < 1:
        raise ValueError("--megabytes must be > 0 and --rounds >= 1")
    setup(seed=0)
    figures = run(args.megabytes, args.rounds)
    baseline = figures[PLAIN]
    print(f"{'operation':48s} {'median':>10s} {'/ plain write':>14s}")
    for label, seconds in figures.items():
        print(f"{label:48s} {seconds * 1e3:8.1f} ms {seconds / baseline:13.2f}x")
    save_ratio = figures[MANAGER_SYNC] / figures[TF_WRITE]
    print(f"manager save / tf.train.Checkpoint.write: {save_ratio:.2f}x (goal <= 1.3x)")
    durable_ratio = figures[MANAGER_SYNC] / figures[TF_WRITE_FSYNC]
    print(f"manager save / tf.train.Checkpoint.write + fsync: {durable_ratio:.2f}x")
    print(
        f"async stall / sync save: {figures[ASYNC_STALL] / figures[MANAGER_SYNC]:.1%} (goal < 20%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
