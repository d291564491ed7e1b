"""Distribution Strategy with ``tf.distribute``: a strategy over N devices and a custom loop.

Taught in notebook 06. ``make_strategy`` builds a ``tf.distribute.MirroredStrategy`` over GPUs
when there are enough of them, otherwise over logical CPU devices (``split_cpu``), so the same
code runs on a laptop and on a GPU machine. ``DistributedTrainer`` is the custom training loop
of the pattern: split the global batch, run the step on every replica, average the loss over
the *global* batch, all-reduce the gradients, update the mirrored variables. It works under any
strategy, including ``MultiWorkerMirroredStrategy`` (see ``course_utils.distribution.launch``).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils._tf import tensorflow
from course_utils.devices import split_cpu
from course_utils.validation import check_positive_int

__all__ = [
    "split_cpu",
    "make_strategy",
    "replica_devices",
    "DistributedTrainer",
    "RoundTrace",
    "is_chief",
    "checkpoint_dir_for",
]

LOSS_SCALINGS = ("global", "per_replica")


def make_strategy(replicas: int, *, use_gpus: bool = True):
    """A ``MirroredStrategy`` with ``replicas`` replicas: on GPUs if enough exist, else CPUs.

    On CPUs the replicas are the first ``replicas`` logical devices made by ``split_cpu`` (or
    ``setup(cpu_devices=N)``), and gradients are summed on one device
    (``ReductionToOneDevice``): the default collective all-reduce keys its groups by order of
    creation, so strategies over different subsets of devices in one process would clash.

    On a machine with fewer GPUs than the largest replica count, call
    ``course_utils.devices.use_one_device_kind(max_replicas)`` first: otherwise small replica
    counts (and the default strategy) run on a GPU while larger ones fall back to CPUs.
    """
    devices = replica_devices(replicas, use_gpus=use_gpus)
    tf = tensorflow()
    if ":GPU:" in devices[0].upper():
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.MirroredStrategy(
        devices, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )


def replica_devices(replicas: int, *, use_gpus: bool = True) -> list[str]:
    """The devices of ``replicas`` replicas: the first GPUs if there are enough, else logical CPUs.

    ``ValueError`` (saying how to split the CPU) when there are not enough of either.
    """
    replicas = check_positive_int("replicas", replicas)
    tf = tensorflow()
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")] if use_gpus else []
    if len(gpus) >= replicas:
        return gpus[:replicas]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(cpus) < replicas:
        raise ValueError(
            f"{replicas} replicas asked for, but TensorFlow sees {len(cpus)} logical CPU(s) and "
            f"{len(gpus)} GPU(s). Call course_utils.notebook.setup(cpu_devices={replicas}) "
            "(or split_cpu) before any other TensorFlow code, in a fresh process."
        )
    return cpus[:replicas]


@dataclasses.dataclass(frozen=True)
class RoundTrace:
    """One round of the pattern, as NumPy arrays, for display (notebook 06, "five steps")."""

    devices: tuple[str, ...]  # step 1-2: where each replica (and its mirrored copy) lives
    per_replica_x: tuple[np.ndarray, ...]  # step 1: the slice of the global batch per replica
    per_replica_loss: tuple[float, ...]  # step 3: each replica's share of the global loss
    per_replica_grads: tuple[list[np.ndarray], ...]  # step 3: each replica's local gradients
    reduced_grads: list[np.ndarray]  # step 4: the all-reduced (summed) gradients


class DistributedTrainer:
    """A custom training loop under a ``tf.distribute`` strategy (notebook 06).

    Args:
        strategy: any ``tf.distribute.Strategy`` (Mirrored, MultiWorkerMirrored, default).
        build_model: returns a fresh Keras model; called inside ``strategy.scope()`` so its
            variables are mirrored on every replica.
        make_optimizer: returns a Keras optimizer; also created inside the scope.
        loss: a Keras loss; per-example values are taken (its reduction is set to ``"none"``).
        global_batch_size: examples per step summed over all replicas (and workers).
        loss_scaling: ``"global"`` divides the summed loss by the global batch size (correct);
            ``"per_replica"`` takes each replica's own mean, the classic bug that multiplies the
            gradient by the number of replicas.
    """

    def __init__(
        self,
        strategy: Any,
        build_model: Callable[[], Any],
        make_optimizer: Callable[[], Any],
        loss: Any,
        global_batch_size: int,
        *,
        loss_scaling: str = "global",
    ) -> None:
        global_batch_size = check_positive_int("global_batch_size", global_batch_size)
        replicas = strategy.num_replicas_in_sync
        if global_batch_size % replicas:
            raise ValueError(
                f"global_batch_size {global_batch_size} does not split evenly over {replicas} "
                f"replicas: use a multiple of {replicas}"
            )
        if loss_scaling not in LOSS_SCALINGS:
            raise ValueError(f"loss_scaling must be one of {LOSS_SCALINGS}, got {loss_scaling!r}")
        if not callable(build_model) or not callable(make_optimizer):
            raise TypeError(
                "build_model and make_optimizer must be callables returning new objects"
            )
        if not hasattr(loss, "get_config"):
            raise TypeError(f"loss must be a keras.losses.Loss instance, got {loss!r}")
        self._tf = tensorflow()  # looked up once: traced code must not call tensorflow()
        self.strategy = strategy
        self.global_batch_size = global_batch_size
        self.loss_scaling = loss_scaling
        self.loss = loss.__class__.from_config({**loss.get_config(), "reduction": "none"})
        with strategy.scope():
            self.model = build_model()
            self.optimizer = make_optimizer()
            if self.model.built and not self.optimizer.built:
                # Its slots now, not in the first step: a tf.function that creates variables
                # is traced twice, which made the first step about twice as slow.
                self.optimizer.build(self.model.trainable_variables)
        self._train_step: Any = None  # the tf.function, traced on the first step

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    def distribute(self, x: np.ndarray, y: np.ndarray, *, epochs: int = 1, seed: int | None = None):
        """Step 1: batches of the global size (last partial one dropped), split over replicas."""
        tf = tensorflow()
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
        if len(x) < self.global_batch_size:
            raise ValueError(f"{len(x)} examples are fewer than one global batch")
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
        if seed is not None:
            dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.repeat(epochs).batch(self.global_batch_size, drop_remainder=True)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        return self.strategy.experimental_distribute_dataset(dataset.with_options(options))

    def _replica_loss(self, x, y):
        tf = self._tf
        per_example = self.loss(y, self.model(x, training=True))
        if self.loss_scaling == "per_replica":  # the bug: a mean over this replica's slice only
            return tf.reduce_mean(per_example)
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _replica_step(self, x, y):
        tf = self._tf
        with tf.GradientTape() as tape:
            loss = self._replica_loss(x, y)
        grads = tape.gradient(loss, self.model.trainable_variables)
        # The Keras optimizer all-reduces (sums) the gradients over replicas, then updates.
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables, strict=True))
        return loss

    def train_step(self, batch) -> float:
        """Steps 2-5 for one distributed batch; returns the global loss (summed over replicas)."""
        if self._train_step is None:
            tf = self._tf

            @tf.function
            def step(x, y):
                losses = self.strategy.run(self._replica_step, args=(x, y))
                return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

            self._train_step = step
        return float(self._train_step(*batch))

    def fit(self, x: np.ndarray, y: np.ndarray, *, epochs: int = 1, seed: int | None = None):
        """Train; return the list of per-step global losses."""
        return [self.train_step(batch) for batch in self.distribute(x, y, epochs=epochs, seed=seed)]

    def trace_round(self, batch) -> RoundTrace:
        """Run steps 1-4 on one distributed batch without updating; return what each replica saw."""
        tf = self._tf

        def replica_fn(x, y):
            with tf.GradientTape() as tape:
                loss = self._replica_loss(x, y)
            grads = tape.gradient(loss, self.model.trainable_variables)
            reduced = tf.distribute.get_replica_context().all_reduce("SUM", grads)
            return loss, grads, reduced

        loss, grads, reduced = self.strategy.run(tf.function(replica_fn), args=batch)
        local = self.strategy.experimental_local_results
        per_replica_grads = tuple(
            [g.numpy() for g in replica] for replica in zip(*[local(g) for g in grads], strict=True)
        )
        return RoundTrace(
            devices=tuple(self.strategy.extended.worker_devices),
            per_replica_x=tuple(t.numpy() for t in local(batch[0])),
            per_replica_loss=tuple(float(t) for t in local(loss)),
            per_replica_grads=per_replica_grads,
            reduced_grads=[local(g)[0].numpy() for g in reduced],
        )

    def weights(self) -> list[np.ndarray]:
        """The model's weights as NumPy arrays (identical on every replica)."""
        return [w.numpy() for w in self.model.weights]


def is_chief(strategy: Any) -> bool:
    """True on the worker that writes checkpoints: always under a one-machine strategy."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if "chief" in resolver.cluster_spec().as_dict():  # a cluster with an explicit chief task
        return task_type == "chief"
    return task_type == "worker" and task_id == 0


def checkpoint_dir_for(strategy: Any, directory: str | os.PathLike) -> str:
    """Where this worker saves: ``directory`` on the chief, a throw-away folder elsewhere.

    Under ``MultiWorkerMirroredStrategy`` every worker must call ``save`` (it may run
    collective ops), but only the chief's files should land in the shared folder.
    """
    if is_chief(strategy):
        return os.fspath(directory)
    return tempfile.mkdtemp(prefix="worker-checkpoint-")
