"""CentralServer: rounds, real mode, stragglers, faults and their recovery (notebook 07)."""

from __future__ import annotations

import time

import matplotlib
import numpy as np
import pytest

from course_utils.distribution.simulator import (
    CentralServer,
    Fault,
    LogisticGradientWork,
    SimulatedWork,
    WorkerFailure,
    barrier_spans,
    full_batch_gradient_descent,
    worker_spans,
)

from .helpers import LR, STEPS, assert_no_thread_left

matplotlib.use("Agg")


def test_version_increments_once_per_round():
    server = CentralServer(3, SimulatedWork(0.001), num_items=10)
    result = server.run(4)
    assert result.version == 4
    assert [r.version for r in result.rounds] == [1, 2, 3, 4]
    updates = result.log.select(actor="server", kind="update")
    assert [e.round for e in updates] == [1, 2, 3, 4]
    for event in result.log.select(kind="aggregate"):
        assert event.detail.startswith("10 batches")  # every batch processed once per round
    assert result.leaked_threads == []
    assert_no_thread_left(server)


def test_every_step_is_logged_in_order():
    result = CentralServer(2, SimulatedWork(0.001), num_items=4).run(1)
    kinds = [e.kind for e in result.log.select(round_=1, actor="server")]
    assert kinds[0] == "broadcast" and kinds[-2:] == ["aggregate", "update"]
    assert kinds.count("ack") == 2
    times = [e.t for e in result.log.events]
    assert times == sorted(times)
    assert len(worker_spans(result.log)) == 2 and len(barrier_spans(result.log)) == 2


@pytest.mark.parametrize("num_workers", [1, 2, 3, 7, 16, 250])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sync_real_mode_equals_full_batch_gradient_descent(data, num_workers, shuffle):
    x, y = data
    expected = full_batch_gradient_descent(x, y, learning_rate=LR, steps=STEPS)
    # The arithmetic is under test, not the barrier: 250 threads on a loaded machine can take
    # longer than the default 2 s timeout to acknowledge a round (seen under `make test -n 2`).
    server = CentralServer(
        num_workers, LogisticGradientWork(x, y), learning_rate=LR, shuffle=shuffle, timeout=60.0
    )
    result = server.run(STEPS)
    assert np.max(np.abs(result.weights - expected)) < 1e-10
    losses = [r.loss for r in result.rounds]
    assert losses == sorted(losses, reverse=True)  # gradient descent with a small step
    assert_no_thread_left(server)


def test_raising_worker_is_reported_by_name_and_round_without_waiting(data):
    server = CentralServer(
        4, LogisticGradientWork(*data), faults={2: Fault("raise", round=3)}, timeout=5.0
    )
    start = time.perf_counter()
    with pytest.raises(WorkerFailure, match="worker-2 failed in round 3: raised RuntimeError") as e:
        server.run(5)
    assert time.perf_counter() - start < 5.0  # an error is an answer: no need for the timeout
    assert (e.value.worker, e.value.round) == ("worker-2", 3)
    assert server.version == 2
    assert_no_thread_left(server)


def test_hanging_worker_times_out_and_is_shut_down():
    server = CentralServer(
        3, SimulatedWork(0.001), num_items=6, faults={1: Fault("hang", 2)}, timeout=1.0
    )
    start = time.perf_counter()
    with pytest.raises(WorkerFailure, match="worker-1 failed in round 2: no acknowledgement"):
        server.run(3)
    elapsed = time.perf_counter() - start
    assert 1.0 <= elapsed < 1.0 + 5.0
    assert_no_thread_left(server)
    assert server.log.select(actor="worker-1", kind="interrupted")  # woken by the shutdown


@pytest.mark.parametrize("kind", ["raise", "hang"])
def test_reassignment_completes_the_round_with_the_same_weights(data, kind):
    x, y = data
    expected = full_batch_gradient_descent(x, y, learning_rate=LR, steps=STEPS)
    server = CentralServer(
        4,
        LogisticGradientWork(x, y),
        learning_rate=LR,
        faults={1: Fault(kind, 2)},
        timeout=1.0,
        reassign=True,
    )
    result = server.run(STEPS)
    assert result.version == STEPS
    assert result.failed == ["worker-1"]
    assert result.rounds[1].failed == ("worker-1",)
    assert np.max(np.abs(result.weights - expected)) < 1e-10
    assert len(server.partitions[1]) == 0 and sum(map(len, server.partitions)) == len(y)
    assert result.log.select(kind="reassign", round_=2)
    assert_no_thread_left(server)


def test_second_failure_during_recovery_is_also_reassigned(data):
    x, y = data
    expected = full_batch_gradient_descent(x, y, learning_rate=LR, steps=3)
    faults = {0: Fault("raise", 2), 3: Fault("hang", 2)}
    server = CentralServer(
        5, LogisticGradientWork(x, y), learning_rate=LR, faults=faults, timeout=1.0, reassign=True
    )
    result = server.run(3)
    assert sorted(result.failed) == ["worker-0", "worker-3"]
    assert np.max(np.abs(result.weights - expected)) < 1e-10


def test_when_every_worker_fails_reassignment_gives_up_clearly():
    faults = {0: Fault("raise", 1), 1: Fault("raise", 1)}
    server = CentralServer(2, SimulatedWork(0), num_items=4, faults=faults, reassign=True)
    with pytest.raises(WorkerFailure, match="no surviving worker"):
        server.run(2)
    assert_no_thread_left(server)


def test_straggler_sets_the_round_time():
    delay = 0.08
    result = CentralServer(3, SimulatedWork(0.0), num_items=3, stragglers={2: delay}).run(3)
    assert all(seconds >= delay for seconds in result.round_seconds)
    waits = [s for s in barrier_spans(result.log) if s.actor != "worker-2"]
    assert waits and all(s.seconds > 0 for s in waits)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": 0}, "timeout"),
        ({"stragglers": {5: 0.1}}, "outside"),
        ({"faults": {-1: Fault("raise")}}, "outside"),
        ({"num_items": 0}, "num_items"),
        ({"stragglers": {0: -0.1}}, "straggler delay"),
        ({"learning_rate": 0}, "learning_rate"),
    ],
)
def test_bad_server_arguments_raise(kwargs, match):
    kwargs = {"num_items": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        CentralServer(2, SimulatedWork(0), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": "1"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"num_items": 4.0}, "num_items must be an int"),
        ({"stragglers": {0: "0.1"}}, "straggler delay"),
        ({"stragglers": {"0": 0.1}}, "worker index must be an int"),
        ({"learning_rate": True}, "learning_rate"),
        ({"reassign": 1}, "reassign must be True or False"),
    ],
)
def test_server_arguments_of_the_wrong_type_raise_type_error(kwargs, match):
    kwargs = {"num_items": 4, **kwargs}
    with pytest.raises(TypeError, match=match):
        CentralServer(2, SimulatedWork(0), **kwargs)
    with pytest.raises(TypeError, match="rounds must be an int"):
        CentralServer(2, SimulatedWork(0), num_items=2).run(1.0)
    with pytest.raises(TypeError, match="Fault round must be an int"):
        Fault("raise", True)


def test_ideal_round_seconds_is_the_slowest_worker_not_the_sum_or_the_mean():
    # 3 workers, 1 batch of 10 ms each; workers 1 and 2 add 30 and 60 ms (notebook 07, Ex. 3)
    server = CentralServer(3, SimulatedWork(0.01), num_items=3, stragglers={1: 0.03, 2: 0.06})
    assert server.ideal_round_seconds() == pytest.approx(0.07)
    # uneven partitions: 7 batches over 3 workers -> 3, 2, 2 batches; no straggler
    assert CentralServer(3, SimulatedWork(0.01), num_items=7).ideal_round_seconds() == (
        pytest.approx(0.03)
    )


def test_measured_rounds_take_at_least_the_ideal_time_and_track_it():
    server = CentralServer(3, SimulatedWork(0.01), num_items=3, stragglers={1: 0.03, 2: 0.06})
    fastest = min(server.run(3).round_seconds)
    ideal = server.ideal_round_seconds()
    assert ideal <= fastest < ideal + 0.05  # overhead on top, never less than the model


def test_ideal_round_seconds_needs_concept_mode(data):
    x, y = data
    with pytest.raises(ValueError, match="concept mode"):
        CentralServer(2, LogisticGradientWork(x, y)).ideal_round_seconds()


def test_distinct_names_no_run_result_alias():
    import course_utils.distribution.simulator as simulator

    assert not hasattr(simulator, "RunResult")  # course_utils.rollback.RunResult is another class
    assert not hasattr(simulator, "Event")  # the rollback package has its own events
    assert simulator.SimulationEvent.__name__ == "SimulationEvent"
