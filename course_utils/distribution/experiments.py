"""The experiments of notebook 06 on top of ``DistributedTrainer``: throughput and the widget.

``measure_throughput`` times training steps; ``replica_experiment`` is the computation behind the
notebook's replicas slider (the widget cell only wires controls to it).
"""

from __future__ import annotations

import time

import numpy as np

from course_utils._tf import keras
from course_utils.distribution.demo import build_model, make_data
from course_utils.distribution.strategy import DistributedTrainer, make_strategy
from course_utils.validation import check_positive_int

__all__ = ["measure_throughput", "replica_experiment"]


def measure_throughput(
    trainer: DistributedTrainer,
    x: np.ndarray,
    y: np.ndarray,
    steps: int = 20,
    *,
    warmup: int = 2,
    repeats: int = 1,
) -> dict:
    """Samples per second and seconds per step of ``trainer``: the best of ``repeats`` timings.

    ``warmup`` untimed steps first pay for tracing the ``tf.function`` and for the kernels'
    first-use set-up; the timed steps reuse them. The model keeps training while timed.
    """
    steps = check_positive_int("steps", steps)
    warmup = check_positive_int("warmup", warmup)
    repeats = check_positive_int("repeats", repeats)
    needed = (warmup + steps * repeats) * trainer.global_batch_size
    batches = iter(trainer.distribute(x, y, epochs=-(-needed // len(x))))
    for _ in range(warmup):
        trainer.train_step(next(batches))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step(next(batches))
        best = min(best, time.perf_counter() - start)
    return {
        "samples_per_second": steps * trainer.global_batch_size / best,
        "seconds_per_step": best / steps,
    }


def replica_experiment(
    replicas: int,
    global_batch_size: int,
    *,
    epochs: int = 2,
    learning_rate: float = 0.1,
    loss_scaling: str = "global",
) -> dict:
    """The widget of notebook 06: train the demo MLP with ``replicas`` replicas.

    Returns the per-replica batch, the per-step losses and the measured samples per second.
    ``loss_scaling="per_replica"`` reproduces the loss-averaging bug (see ``DistributedTrainer``).
    """
    k = keras()
    trainer = DistributedTrainer(
        make_strategy(replicas),
        build_model,
        lambda: k.optimizers.SGD(learning_rate),
        k.losses.BinaryCrossentropy(from_logits=True),
        global_batch_size,
        loss_scaling=loss_scaling,
    )
    x, y = make_data()
    losses = trainer.fit(x, y, epochs=epochs)
    speed = measure_throughput(trainer, x, y, steps=10)
    return {
        "replicas": replicas,
        "global_batch_size": global_batch_size,
        "per_replica_batch": global_batch_size // replicas,
        "losses": losses,
        **speed,
    }
