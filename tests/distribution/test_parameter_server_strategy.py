"""ParameterServerStrategy as an in-process cluster: started, trained, stopped (with its process).

In-process TensorFlow servers cannot be shut down, so every test that starts a cluster does it in
a child process, bounded by a timeout: the cluster stops when that process exits. Argument
checks run here (they fail before anything starts).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course_utils.distribution.parameter_server import (
    LocalCluster,
    start_local_cluster,
    train_logistic_regression,
)
from course_utils.distribution.simulator import make_logistic_data, numpy_logistic_loss

_CHILD = textwrap.dedent(
    """
    import json
    from course_utils.notebook import setup
    setup(seed=0)
    from course_utils.distribution.parameter_server import (
        start_local_cluster, train_logistic_regression,
    )
    from course_utils.distribution.simulator import make_logistic_data

    cluster = start_local_cluster(2)
    again = start_local_cluster(2)
    try:
        start_local_cluster(3)
        refused = False
    except RuntimeError:
        refused = True
    x, y = make_logistic_data(203, 4, seed=7)
    run = train_logistic_regression(cluster, x, y, steps=24, learning_rate=0.5)
    print(json.dumps({
        "spec": cluster.cluster_spec,
        "same": again is cluster,
        "refused": refused,
        "threads": cluster.inter_op_threads,
        "weights": run.weights.tolist(),
        "workers": run.step_workers,
        "losses": run.step_losses,
        "rows": run.step_rows,
        "device": run.variable_device,
    }))
    """
)


@pytest.fixture(scope="module")
def child_run() -> dict:
    """One cluster, trained once, in a child process that exits (and so stops the servers)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_cluster_has_one_ps_two_workers_and_a_chief_on_localhost(child_run):
    spec = child_run["spec"]
    assert {job: len(addresses) for job, addresses in spec.items()} == {
        "worker": 2,
        "ps": 1,
        "chief": 1,
    }
    addresses = [a for job in spec.values() for a in job]
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    assert len(set(addresses)) == 4  # four distinct ports
    assert child_run["threads"] == 3  # num_workers + 1, as TensorFlow's test helper


def test_cluster_is_started_once_per_process(child_run):
    assert child_run["same"] is True
    assert child_run["refused"] is True


def test_variable_lives_on_the_parameter_server(child_run):
    assert child_run["device"].startswith("/job:ps/replica:0/task:0")


def test_both_workers_ran_steps_on_their_own_shard(child_run):
    workers, rows = child_run["workers"], child_run["rows"]
    assert len(workers) == 24
    assert sorted(set(workers)) == [0, 1]
    shard = {w: {r for w2, r in zip(workers, rows, strict=True) if w2 == w} for w in (0, 1)}
    assert shard == {0: {102}, 1: {101}}  # 203 rows, round-robin: every row in one shard


def test_losses_fall(child_run):
    x, y = make_logistic_data(203, 4, seed=7)
    start = numpy_logistic_loss(np.zeros(x.shape[1]), x, y)
    end = numpy_logistic_loss(np.array(child_run["weights"]), x, y)
    assert end < start - 0.1
    losses = child_run["losses"]
    assert np.mean(losses[-4:]) < np.mean(losses[:4])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"num_workers": 0}, ValueError, "num_workers"),
        ({"num_workers": 2, "inter_op_threads": 2}, ValueError, "inter_op_threads"),
        ({"num_workers": 2, "inter_op_threads": 1}, ValueError, "inter_op_threads"),
        ({"num_workers": 2.0}, TypeError, "num_workers"),
    ],
)
def test_start_rejects_bad_arguments_before_starting_anything(kwargs, error, name):
    with pytest.raises(error, match=name):
        start_local_cluster(**kwargs)


def test_train_rejects_bad_arguments():
    cluster = LocalCluster({"worker": ["127.0.0.1:1"], "ps": ["127.0.0.1:2"]}, None, 2)
    x, y = make_logistic_data(10, 2, seed=0)
    with pytest.raises(TypeError, match="cluster"):
        train_logistic_regression({"worker": []}, x, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        train_logistic_regression(cluster, x, y, steps=0)
    with pytest.raises(ValueError, match="x must be"):
        train_logistic_regression(cluster, x, y[:-1])
    with pytest.raises(ValueError, match="timeout"):
        train_logistic_regression(cluster, x, y, timeout=0)


_DEADLOCK_CHILD = textwrap.dedent(
    """
    import os
    import tensorflow as tf
    from course_utils.notebook import setup
    setup(seed=0)
    from course_utils.distribution.parameter_server import LocalCluster, train_logistic_regression
    from course_utils.distribution.ports import free_ports
    from course_utils.distribution.simulator import make_logistic_data

    # What start_local_cluster refuses: 2 workers with 2 inter-op threads each.
    ports = free_ports(4)
    spec = {"worker": [f"127.0.0.1:{p}" for p in ports[:2]], "ps": [f"127.0.0.1:{ports[2]}"]}
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=2)
    for job, addresses in spec.items():
        for index in range(len(addresses)):
            tf.distribute.Server(
                tf.train.ClusterSpec(spec), job_name=job, task_index=index, config=config
            )
    spec["chief"] = [f"127.0.0.1:{ports[3]}"]
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(spec), rpc_layer="grpc"
    )
    x, y = make_logistic_data(203, 4, seed=7)
    try:
        train_logistic_regression(LocalCluster(spec, resolver, 2), x, y, steps=4, timeout=8)
        print("finished", flush=True)
    except TimeoutError as error:
        print(f"TimeoutError: {error}", flush=True)
    os._exit(0)  # the deadlocked threads cannot be joined: leave without waiting for them
    """
)


def test_too_few_inter_op_threads_deadlock_and_the_timeout_reports_it():
    done = subprocess.run(
        [sys.executable, "-c", _DEADLOCK_CHILD], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith("TimeoutError: the scheduled steps")
