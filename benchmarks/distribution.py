"""Throughput of MirroredStrategy with 1, 2, 4 replicas against no strategy (notebook 06).

    python -m benchmarks.distribution [--steps 30] [--global-batch 64]

Prints, for a small MLP and a small CNN, samples per second and milliseconds per step with the
custom loop of ``DistributedTrainer`` (best of 3 timings), as ratios to the same model trained
without a strategy in the same run, plus the per-step overhead (extra milliseconds per step).
Replicas are logical CPU devices (``split_cpu(4)``) or GPUs when present; on a CPU they share
the same cores, so expect overhead, not speed-up. Timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from course_utils.notebook import setup


def _models():
    import keras

    def mlp():
        keras.utils.set_random_seed(1)
        return keras.Sequential(
            [
                keras.Input((32,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10),
            ]
        )

    def cnn():
        keras.utils.set_random_seed(1)
        return keras.Sequential(
            [
                keras.Input((16, 16, 3)),
                keras.layers.Conv2D(8, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(16, 3, activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(10),
            ]
        )

    rng = np.random.default_rng(0)
    n = 4096
    labels = rng.integers(0, 10, size=n)
    return {
        "MLP (32-64-64-10)": (mlp, rng.normal(size=(n, 32)).astype("float32"), labels),
        "CNN (16x16x3, 2 conv)": (cnn, rng.normal(size=(n, 16, 16, 3)).astype("float32"), labels),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per configuration")
    parser.add_argument("--global-batch", type=int, default=64)
    args = parser.parse_args(argv)
    if args.global_batch % 4:
        parser.error("--global-batch must be a multiple of 4 (it is split over 4 replicas)")
    setup(seed=0, cpu_devices=4)
    import keras
    import tensorflow as tf

    from course_utils.distribution import DistributedTrainer, make_strategy, measure_throughput

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    print(
        f"global batch {args.global_batch}; best of 3 x {args.steps} timed steps after 5 warm-up "
        "steps; ratios vs no strategy"
    )
    for name, (build, x, y) in _models().items():
        print(f"\n{name}")
        print(f"{'replicas':>12} {'samples/s':>10} {'ratio':>6} {'ms/step':>8} {'overhead ms':>12}")
        base = None
        for replicas in (None, 1, 2, 4):
            strategy = tf.distribute.get_strategy() if replicas is None else make_strategy(replicas)
            trainer = DistributedTrainer(
                strategy, build, lambda: keras.optimizers.SGD(0.01), loss, args.global_batch
            )
            result = measure_throughput(trainer, x, y, steps=args.steps, warmup=5, repeats=3)
            base = base or result
            ms = 1000 * result["seconds_per_step"]
            print(
                f"{'none' if replicas is None else replicas:>12} "
                f"{result['samples_per_second']:10.0f} "
                f"{result['samples_per_second'] / base['samples_per_second']:6.2f} "
                f"{ms:8.2f} {ms - 1000 * base['seconds_per_step']:12.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
