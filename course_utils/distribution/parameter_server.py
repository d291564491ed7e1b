"""``tf.distribute.ParameterServerStrategy`` in one process: what notebook 07 simulates.

The simulator's asynchronous ``ParameterServer`` (and the server side of ``CentralServer``) is a
toy version of this. Here TensorFlow does the real thing on one machine:

- ``start_local_cluster`` starts one parameter-server task and ``num_workers`` worker tasks as
  ``tf.distribute.Server``\\ s *inside this process*, on free ports of 127.0.0.1, and returns a
  ``SimpleClusterResolver`` that names them plus a ``chief`` address for the coordinator;
- ``train_logistic_regression`` creates the model's variable under the strategy's scope (so it
  lives on the parameter server), gives every worker its own shard of the rows with
  ``ClusterCoordinator.create_per_worker_dataset``, and runs a custom loop: ``schedule`` a
  per-worker step ``steps`` times, then ``join``.

Threads: every server gets ``inter_op_threads`` inter-op threads. With one, a worker cannot run
a scheduled function and the ops it waits for at the same time, and training deadlocks;
TensorFlow's own test helper (``multi_worker_test_base.create_in_process_cluster``) gives each
worker ``num_workers + 1``. We refuse fewer.

Leaks: an in-process server cannot be shut down; it lives until the process exits. So the
cluster is started **once per process** (a second call returns the same one), the notebook
starts it once per kernel, and the tests run it in a child process. Like every TensorFlow gRPC
server, these listen on all interfaces, without authentication, while the process lives (see
``course_utils.distribution.launch``): run them on a trusted machine only.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils.distribution.ports import free_ports
from course_utils.validation import check_positive_float, check_positive_int

__all__ = ["LocalCluster", "ParameterServerRun", "start_local_cluster", "train_logistic_regression"]

_STARTED: list[LocalCluster] = []  # the one cluster of this process, once started


@dataclasses.dataclass(frozen=True)
class LocalCluster:
    """The addresses of an in-process cluster and the resolver the strategy is built from."""

    cluster_spec: dict[str, list[str]]
    resolver: Any  # tf.distribute.cluster_resolver.SimpleClusterResolver
    inter_op_threads: int

    @property
    def num_workers(self) -> int:
        return len(self.cluster_spec["worker"])


@dataclasses.dataclass(frozen=True)
class ParameterServerRun:
    """What ``train_logistic_regression`` returns (per step in scheduling order)."""

    weights: np.ndarray
    step_workers: list[int]  # the worker that ran each scheduled step
    step_losses: list[float]  # the loss on that worker's shard before its update
    step_rows: list[int]  # how many rows that worker's shard has
    variable_device: str  # where the model's variable lives
    seconds: float

    def steps_per_worker(self) -> dict[int, int]:
        return {w: self.step_workers.count(w) for w in sorted(set(self.step_workers))}


def start_local_cluster(
    num_workers: int = 2, *, inter_op_threads: int | None = None
) -> LocalCluster:
    """Start one parameter server and ``num_workers`` workers in this process (once per process).

    ``inter_op_threads`` defaults to ``num_workers + 1`` (TensorFlow's test helper's choice) and
    must be at least that. Calling again with the same arguments returns the running cluster;
    other arguments raise ``RuntimeError`` (the servers cannot be stopped: restart the kernel).
    """
    num_workers = check_positive_int("num_workers", num_workers)
    needed = num_workers + 1
    threads = needed if inter_op_threads is None else inter_op_threads
    threads = check_positive_int("inter_op_threads", threads)
    if threads < needed:
        raise ValueError(
            f"inter_op_threads={threads} can deadlock {num_workers} workers: give at least {needed}"
        )
    if _STARTED:
        cluster = _STARTED[0]
        if (cluster.num_workers, cluster.inter_op_threads) != (num_workers, threads):
            raise RuntimeError(
                f"a cluster of {cluster.num_workers} workers with {cluster.inter_op_threads} "
                "inter-op threads already runs in this process and cannot be stopped; "
                "restart the kernel to start another one"
            )
        return cluster
    import tensorflow as tf

    ports = free_ports(num_workers + 2)
    spec = {
        "worker": [f"127.0.0.1:{p}" for p in ports[:num_workers]],
        "ps": [f"127.0.0.1:{ports[num_workers]}"],
    }
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=threads)
    for job, addresses in spec.items():
        for index in range(len(addresses)):
            tf.distribute.Server(
                tf.train.ClusterSpec(spec), job_name=job, task_index=index, config=config
            )
    spec["chief"] = [f"127.0.0.1:{ports[-1]}"]  # the coordinator: this process, started later
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(spec), rpc_layer="grpc"
    )
    _STARTED.append(LocalCluster(spec, resolver, threads))
    return _STARTED[0]


def train_logistic_regression(
    cluster: LocalCluster,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 20,
    learning_rate: float = 0.5,
    timeout: float = 60.0,
) -> ParameterServerRun:
    """Asynchronous logistic regression on ``cluster``: ``steps`` scheduled worker steps.

    Each step runs on whichever worker is free: it reads the weights from the parameter server,
    computes the mean gradient on its own shard (``Dataset.shard`` by worker index: every row in
    exactly one shard) and applies ``learning_rate * share * gradient`` to the variable on the
    parameter server, like the simulator's ``ParameterServer``. Call it once per cluster.
    A deadlocked cluster never finishes its steps: after ``timeout`` seconds of waiting, raise
    ``TimeoutError`` instead of hanging (the stuck threads stay until the process exits).
    """
    import tensorflow as tf

    if not isinstance(cluster, LocalCluster):
        raise TypeError(f"cluster must be a LocalCluster, got {type(cluster).__name__}")
    steps = check_positive_int("steps", steps)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    timeout = check_positive_float("timeout (seconds)", timeout)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (len(x),):
        raise ValueError(f"x must be (rows, features) and y (rows,); got {x.shape}, {y.shape}")
    n, k = len(y), cluster.num_workers

    strategy = tf.distribute.ParameterServerStrategy(cluster.resolver)
    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
    with strategy.scope():
        weights = tf.Variable(tf.zeros([x.shape[1]], tf.float64), name="weights")

    def shard_fn() -> tf.data.Dataset:  # runs on each worker: its own rows only
        index = tf.distribute.coordinator.experimental_get_current_worker_index()
        rows = tf.data.Dataset.from_tensor_slices((x, y)).shard(k, index)
        return rows.batch(n).repeat()  # one batch = the whole shard, again and again

    shards = coordinator.create_per_worker_dataset(tf.function(shard_fn))

    @tf.function
    def worker_step(iterator):
        xb, yb = next(iterator)
        with tf.GradientTape() as tape:
            logits = tf.linalg.matvec(xb, weights)
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=yb, logits=logits))
        rows = tf.shape(yb)[0]
        share = tf.cast(rows, tf.float64) / n
        weights.assign_sub(learning_rate * share * tape.gradient(loss, weights))
        index = tf.distribute.coordinator.experimental_get_current_worker_index()
        return index, loss, rows

    iterator = iter(shards)  # one iterator per worker, living on that worker
    start = time.perf_counter()
    results = [coordinator.schedule(worker_step, args=(iterator,)) for _ in range(steps)]
    _bounded(coordinator.join, timeout)  # join: wait until every scheduled step is done
    fetched = [r.fetch() for r in results]
    return ParameterServerRun(
        weights=weights.numpy(),
        step_workers=[int(w) for w, _, _ in fetched],
        step_losses=[float(loss) for _, loss, _ in fetched],
        step_rows=[int(r) for _, _, r in fetched],
        variable_device=weights.device,
        seconds=time.perf_counter() - start,
    )


def _bounded(wait: Callable[[], object], timeout: float) -> None:
    """Call ``wait`` in a daemon thread; raise ``TimeoutError`` if it is not done in time."""
    done = threading.Event()
    errors: list[Exception] = []

    def call() -> None:
        try:
            wait()
        except Exception as error:  # re-raised in the caller's thread
            errors.append(error)
        finally:
            done.set()

    threading.Thread(target=call, name="bounded-wait", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(
            f"the scheduled steps did not finish within {timeout:g} s: a deadlock? (too few "
            "inter-op threads, or a worker that never started)"
        )
    if errors:
        raise errors[0]
