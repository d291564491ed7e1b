"""Synchronised training: the measured all-reduce traffic, and a failure that costs every replica.

TensorFlow fixes its devices once per process, so the TensorFlow checks run in one fresh
subprocess (split into 2 logical CPUs) that prints its measurements as JSON.
"""

from __future__ import annotations

import textwrap

import pytest

from .helpers import run_result_script

SCRIPT = textwrap.dedent(
    """
    import json, tempfile
    import numpy as np
    from course_utils.notebook import setup
    setup(seed=0, cpu_devices=2)
    import keras
    from course_utils.distribution.demo import build_model, make_data
    from course_utils.distribution.synchronised import (
        FaultInjectingTrainer, make_counting_strategy, replica_copies, train_synchronised)

    x, y = make_data(256)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    strategy, log = make_counting_strategy(2)
    make = lambda: FaultInjectingTrainer(
        strategy, build_model, lambda: keras.optimizers.SGD(0.1), loss, 32)
    out = {}
    t = make()
    batches = list(t.distribute(x, y))
    for batch in batches[:3]:
        t.train_step(batch)
    out["log"] = [[list(r.shape), r.dtype, r.nbytes, r.replicas] for r in log]
    variables = t.model.trainable_variables
    out["variables"] = [[list(v.shape), int(np.prod(v.shape)) * 4] for v in variables]
    out["traces"] = t.traces
    copies = replica_copies(t.model)
    out["copies_equal"] = all(np.array_equal(a, b) for a, b in zip(copies[0], copies[1]))
    out["n_copies"] = len(copies)
    d = tempfile.mkdtemp()
    ref = train_synchronised(make(), batches, d + "/ref", checkpoint_every=3)
    for fail_at, replica in ((4, 1), (6, 0), (0, 1)):
        run = train_synchronised(make(), batches, d + f"/f{fail_at}", checkpoint_every=3,
                                 fail_at=fail_at, fail_replica=replica)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(run.weights, ref.weights))
        out[f"fail_{fail_at}"] = {
            "failed": run.failed_step, "restored": run.restored_step,
            "unchanged": run.replicas_unchanged, "redone": run.redone, "error": run.error,
            "checkpoints": run.checkpoints, "diff": diff, "executed": len(run.executed)}
    out["ref"] = {"failed": ref.failed_step, "redone": ref.redone, "executed": len(ref.executed)}
    for name, call in {
        "one_replica": lambda: make_counting_strategy(1),
        "too_many": lambda: make_counting_strategy(3),
        "not_faulty": lambda: train_synchronised(object(), batches, d, checkpoint_every=2),
        "every": lambda: train_synchronised(make(), batches, d, checkpoint_every=0),
        "fail_at": lambda: train_synchronised(make(), batches, d, checkpoint_every=2,
                                               fail_at=len(batches)),
    }.items():
        try:
            call()
            out[name] = None
        except (TypeError, ValueError) as error:
            out[name] = f"{type(error).__name__}: {error}"
    print("RESULT " + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def measured() -> dict:
    return run_result_script(SCRIPT)


def test_the_all_reduce_carries_one_gradient_per_trainable_variable(measured):
    logged = sorted((shape, nbytes) for shape, _, nbytes, _ in measured["log"])
    assert logged == sorted((shape, nbytes) for shape, nbytes in measured["variables"])
    assert {dtype for _, dtype, _, _ in measured["log"]} == {"float32"}
    assert {replicas for *_, replicas in measured["log"]} == {2}


def test_the_step_is_traced_once_so_the_log_is_the_traffic_of_every_step(measured):
    assert measured["traces"] == 1
    assert len(measured["log"]) == len(measured["variables"])  # 3 steps, one trace's worth


def test_replica_copies_are_identical_after_synchronised_steps(measured):
    assert measured["n_copies"] == 2 and measured["copies_equal"]


@pytest.mark.parametrize(("fail_at", "restored"), [(4, 3), (6, 6), (0, 0)])
def test_a_failure_stops_every_replica_and_costs_the_steps_since_the_checkpoint(
    measured, fail_at, restored
):
    run = measured[f"fail_{fail_at}"]
    assert run["failed"] == fail_at and run["restored"] == restored
    assert run["unchanged"] is True
    assert "injected failure" in run["error"]
    assert run["redone"] == list(range(restored, fail_at))
    assert run["executed"] == 8 + fail_at - restored
    assert run["diff"] == 0.0
    assert run["checkpoints"] == [0, 3, 6]


def test_a_run_without_failure_redoes_nothing(measured):
    assert measured["ref"] == {"failed": None, "redone": [], "executed": 8}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("one_replica", "ValueError: replicas must be >= 2"),
        ("too_many", "ValueError: 3 replicas asked for"),
        ("not_faulty", "TypeError: trainer must be a FaultInjectingTrainer"),
        ("every", "ValueError: checkpoint_every"),
        ("fail_at", "ValueError: fail_at"),
    ],
)
def test_bad_arguments_are_refused(measured, name, message):
    assert measured[name] is not None and measured[name].startswith(message)
