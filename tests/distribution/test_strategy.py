"""MirroredStrategy over logical CPUs: the custom loop trains exactly like one device.

Also the limits notebook 06 teaches: the per-replica loss bug under Adam, BatchNormalization,
one device kind per run with TF32 off.

TensorFlow fixes its devices once per process, and other test modules start it with one CPU,
so the TensorFlow checks run in one fresh subprocess (split into 4 logical CPUs) that prints
its measurements as JSON; each test asserts one property on them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from .helpers import run_result_script

SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from course_utils.devices import use_one_device_kind
    from course_utils.notebook import setup
    kind = use_one_device_kind(4)  # before any other TensorFlow code, as in notebook 06
    setup(seed=0, cpu_devices=4)
    import keras
    import tensorflow as tf
    from course_utils.distribution import (
        DistributedTrainer, make_strategy, measure_throughput, replica_experiment, split_cpu,
        is_chief)
    from course_utils.distribution.demo import build_bn_model, build_model, make_data

    x, y = make_data(256)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    out = {"kind": kind, "tf32": tf.config.experimental.tensor_float_32_execution_enabled(),
           "gpus_visible": len(tf.config.list_logical_devices("GPU")),
           "cpus": len(tf.config.list_logical_devices("CPU"))}

    def trainer(replicas, scaling="global", batch=32):
        strategy = make_strategy(replicas) if replicas else tf.distribute.get_strategy()
        return DistributedTrainer(strategy, build_model, lambda: keras.optimizers.SGD(0.1),
                                  loss, batch, loss_scaling=scaling)

    def max_diff(a, b):
        return max(float(np.abs(p - q).max()) for p, q in zip(a, b))

    base = trainer(0); base.fit(x, y, epochs=2)
    for n in (1, 2, 4):
        t = trainer(n); t.fit(x, y, epochs=2)
        out[f"diff_{n}"] = max_diff(base.weights(), t.weights())
        out[f"devices_{n}"] = len(t.strategy.extended.worker_devices)
    bug = trainer(4, "per_replica"); bug.fit(x, y, epochs=2)
    out["diff_bug"] = max_diff(base.weights(), bug.weights())

    # One round: reduced gradient == gradient of the whole global batch on one device.
    for scaling in ("global", "per_replica"):
        t = trainer(4, scaling)
        batch = next(iter(t.distribute(x, y)))
        trace = t.trace_round(batch)
        model = build_model()
        with tf.GradientTape() as tape:
            full = tf.reduce_mean(tf.keras.losses.binary_crossentropy(
                y[:32], model(x[:32]), from_logits=True))
        full_grads = [g.numpy() for g in tape.gradient(full, model.trainable_variables)]
        out[f"grad_diff_{scaling}"] = max_diff(full_grads, trace.reduced_grads)
        out[f"grad_ratio_{scaling}"] = float(
            np.abs(trace.reduced_grads[0]).sum() / np.abs(full_grads[0]).sum())
        out[f"slices_{scaling}"] = [len(s) for s in trace.per_replica_x]
        out[f"loss_sum_{scaling}"] = sum(trace.per_replica_loss)
        out["full_loss"] = float(full)
        summed = np.sum([g[0] for g in trace.per_replica_grads], axis=0)
        out[f"sum_local_{scaling}"] = float(np.abs(summed - trace.reduced_grads[0]).max())

    # The optimizer is built with the model: the step is traced once (the replica function
    # runs once per replica per trace), not twice as when the first step creates the slots.
    t = trainer(2)
    out["optimizer_built"] = bool(t.optimizer.built)
    calls = []
    replica_step = t._replica_step
    t._replica_step = lambda *args: calls.append(1) or replica_step(*args)
    t.fit(x, y, epochs=1)
    out["replica_calls_while_tracing"] = len(calls)

    # Adam, with and without the per-replica bug: nearly the same weights, losses x replicas;
    # with clipnorm the bug changes the training.
    def adam_run(scaling, **options):
        t = DistributedTrainer(make_strategy(2), build_model,
                               lambda: keras.optimizers.Adam(0.01, **options), loss, 32,
                               loss_scaling=scaling)
        return np.array(t.fit(x, y)), t.weights()
    (good, good_w), (bad, bad_w) = adam_run("global"), adam_run("per_replica")
    out["adam_diff"] = max_diff(good_w, bad_w)
    out["adam_loss_ratio"] = [float(r) for r in bad / good]
    out["adam_clip_diff"] = max_diff(adam_run("global", clipnorm=0.1)[1],
                                     adam_run("per_replica", clipnorm=0.1)[1])

    # BatchNormalization: per-replica statistics differ from one device's unless synchronized.
    def bn_weights(replicas, synchronized):
        strategy = make_strategy(replicas) if replicas else tf.distribute.get_strategy()
        t = DistributedTrainer(strategy, lambda: build_bn_model(synchronized=synchronized),
                               lambda: keras.optimizers.SGD(0.1), loss, 32)
        t.fit(x, y)
        return t.weights()
    bn_one = bn_weights(0, False)
    out["bn_plain"] = max_diff(bn_one, bn_weights(2, False))
    out["bn_sync"] = max_diff(bn_one, bn_weights(2, True))

    report = replica_experiment(2, 16, epochs=1)
    out["widget"] = {k: report[k] for k in ("per_replica_batch", "replicas")}
    out["widget_steps"] = len(report["losses"])
    out["widget_speed"] = report["samples_per_second"] > 0
    out["chief"] = is_chief(make_strategy(2))
    for name, call in {"too_many": lambda: make_strategy(8),
                       "uneven": lambda: trainer(4, batch=30),
                       "scaling": lambda: trainer(2, "mean"),
                       "steps": lambda: measure_throughput(trainer(2), x, y, steps=0),
                       "too_late": lambda: split_cpu(2)}.items():
        try:
            call()
            out[name] = None
        except (ValueError, RuntimeError) as error:
            out[name] = f"{type(error).__name__}: {error}"
    out["same_count"] = len(split_cpu(4))
    print("RESULT " + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def measured() -> dict:
    return run_result_script(SCRIPT)


@pytest.mark.parametrize("replicas", [1, 2, 4])
def test_mirrored_training_equals_one_device(measured, replicas):
    assert measured[f"devices_{replicas}"] == replicas
    assert measured[f"diff_{replicas}"] < 1e-6


def test_reduced_gradient_equals_full_batch_gradient(measured):
    assert measured["slices_global"] == [8, 8, 8, 8]
    assert measured["grad_diff_global"] < 1e-6
    assert measured["sum_local_global"] < 1e-6  # the all-reduce is a sum of the local grads
    assert measured["loss_sum_global"] == pytest.approx(measured["full_loss"], rel=1e-5)


def test_per_replica_averaging_multiplies_the_gradient_by_the_replicas(measured):
    assert measured["grad_ratio_per_replica"] == pytest.approx(4.0, rel=1e-5)
    assert measured["loss_sum_per_replica"] == pytest.approx(4 * measured["full_loss"], rel=1e-5)
    assert measured["diff_bug"] > 1e-2


def test_one_device_kind_for_every_run_and_tf32_off(measured):
    assert measured["kind"] == "CPU"  # no GPU here: 4 logical CPUs for every run
    assert measured["cpus"] == 4 and measured["gpus_visible"] == 0
    assert measured["tf32"] is False


def test_the_training_step_is_traced_once(measured):
    assert measured["optimizer_built"] is True
    assert measured["replica_calls_while_tracing"] == 2  # one trace x 2 replicas


def test_with_adam_the_bug_hides_in_the_logged_loss_and_in_clipnorm(measured):
    assert measured["adam_diff"] < 1e-3  # Adam cancels a constant factor on the gradient
    assert measured["adam_loss_ratio"] == pytest.approx([2.0] * 8, abs=1e-3)
    assert measured["adam_clip_diff"] > 10 * measured["adam_diff"]
    assert measured["diff_bug"] > 1e-2  # while with SGD it is a larger learning rate


def test_batch_normalization_matches_one_device_only_when_synchronized(measured):
    assert measured["bn_plain"] > 1e-3
    assert measured["bn_sync"] < 1e-6


def test_widget_function_reports_the_per_replica_batch(measured):
    assert measured["widget"] == {"per_replica_batch": 8, "replicas": 2}
    assert measured["widget_steps"] == 512 // 16
    assert measured["widget_speed"] is True
    assert measured["chief"] is True


def test_bad_requests_raise_clear_errors(measured):
    assert "setup(cpu_devices=8)" in measured["too_many"]
    assert "multiple of 4" in measured["uneven"]
    assert "loss_scaling" in measured["scaling"]
    assert "ValueError: steps must be >= 1, got 0" in measured["steps"]


def test_split_cpu_too_late_is_a_clear_runtime_error(measured):
    assert measured["too_late"].startswith("RuntimeError")
    assert "already started with 4" in measured["too_late"]
    assert "Restart the kernel" in measured["too_late"]
    assert measured["same_count"] == 4  # asking again for the same count is harmless


def test_importing_the_package_does_not_import_tensorflow():
    code = (
        "import sys, course_utils.distribution as d; "
        "print(sorted(d.__all__) == d.__all__, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "False"], done.stderr


@pytest.mark.parametrize(
    ("replicas", "error", "message"),
    [
        (0, ValueError, "replicas must be >= 1, got 0"),
        (-1, ValueError, "replicas must be >= 1, got -1"),
        (2.0, TypeError, "replicas must be an int >= 1, got float 2.0"),
        (True, TypeError, "replicas must be an int >= 1, got bool True"),
    ],
)
@pytest.mark.parametrize("function", ["make_strategy", "replica_devices"])
def test_make_strategy_rejects_bad_replicas(replicas, error, message, function):
    from course_utils.distribution import strategy

    with pytest.raises(error, match=message):
        getattr(strategy, function)(replicas)


class _Spec:
    def __init__(self, cluster):
        self.cluster = cluster

    def as_dict(self):
        return self.cluster


class _Resolver:
    def __init__(self, cluster, task_type, task_id):
        self._spec, self.task_type, self.task_id = _Spec(cluster), task_type, task_id

    def cluster_spec(self):
        return self._spec


class _Strategy:
    def __init__(self, resolver=None):
        self.cluster_resolver = resolver


@pytest.mark.parametrize(
    ("cluster", "task_type", "task_id", "chief"),
    [
        ({}, None, None, True),
        ({"worker": ["a:1", "b:1"]}, "worker", 0, True),
        ({"worker": ["a:1", "b:1"]}, "worker", 1, False),
        ({"chief": ["c:1"], "worker": ["a:1"]}, "worker", 0, False),
        ({"chief": ["c:1"], "worker": ["a:1"]}, "chief", 0, True),
    ],
)
def test_only_the_chief_writes_to_the_shared_folder(tmp_path, cluster, task_type, task_id, chief):
    from course_utils.distribution.strategy import checkpoint_dir_for, is_chief

    strategy = _Strategy(_Resolver(cluster, task_type, task_id))
    assert is_chief(strategy) is chief
    folder = checkpoint_dir_for(strategy, tmp_path / "shared")
    assert (folder == str(tmp_path / "shared")) is chief
    if not chief:
        assert not folder.startswith(str(tmp_path))
        os.rmdir(folder)
    assert is_chief(_Strategy()) is True  # no cluster resolver: a one-machine strategy
