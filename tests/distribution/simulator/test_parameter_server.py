"""ParameterServer: asynchronous updates, staleness, faults (notebook 07)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from course_utils.distribution.simulator import (
    Fault,
    LogisticGradientWork,
    ParameterServer,
    WorkerFailure,
)

from .helpers import LR, STEPS, assert_no_thread_left

matplotlib.use("Agg")


def test_async_records_staleness_and_converges(data):
    x, y = data
    work = LogisticGradientWork(x, y)
    server = ParameterServer(4, work, learning_rate=LR, stragglers={3: 0.02})
    result = server.run(STEPS)
    assert len(result.updates) == result.version == 4 * STEPS
    assert [u.update for u in result.updates] == list(range(1, 4 * STEPS + 1))
    assert all(u.staleness >= 0 for u in result.updates)
    assert max(u.staleness for u in result.updates if u.worker == "worker-3") >= 1
    assert result.updates[-1].loss < work.loss(np.zeros(x.shape[1]))
    assert_no_thread_left(server)


def test_async_failure_is_reported_or_reassigned(data):
    server = ParameterServer(3, LogisticGradientWork(*data), faults={1: Fault("raise", 2)})
    with pytest.raises(WorkerFailure, match="worker-1 failed in round 2"):
        server.run(4)
    assert_no_thread_left(server)
    server = ParameterServer(
        3, LogisticGradientWork(*data), faults={1: Fault("hang", 2)}, timeout=1.0, reassign=True
    )
    result = server.run(4)
    assert result.failed == ["worker-1"] and len(result.updates) == 4 + 4 + 1
    assert_no_thread_left(server)
