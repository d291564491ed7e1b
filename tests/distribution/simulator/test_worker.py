"""Worker faults: what a worker may be told to do wrong, and the checks on it (notebook 07)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from course_utils.distribution.simulator import (
    CentralServer,
    Fault,
    LogisticGradientWork,
    SimulatedWork,
)

matplotlib.use("Agg")


def test_bad_run_and_fault_arguments_raise():
    with pytest.raises(ValueError, match="rounds"):
        CentralServer(2, SimulatedWork(0), num_items=2).run(0)
    with pytest.raises(ValueError, match="num_items is required"):
        CentralServer(2, SimulatedWork(0))
    with pytest.raises(ValueError, match="kind"):
        Fault("explode")
    with pytest.raises(ValueError, match="round"):
        Fault("raise", 0)
    with pytest.raises(ValueError, match="seconds_per_batch"):
        SimulatedWork(-1)
    with pytest.raises(ValueError, match="x must be 2-D"):
        LogisticGradientWork(np.zeros(3), np.zeros(3))


def test_faults_must_be_fault_objects():
    with pytest.raises(TypeError, match="Fault"):
        CentralServer(2, SimulatedWork(0), num_items=2, faults={0: "raise"})
