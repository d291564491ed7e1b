"""The work a worker does: a sleep (concept mode) or a logistic-regression gradient (real mode)."""

from __future__ import annotations

import threading

import numpy as np

from course_utils.distribution.simulator import (
    LogisticGradientWork,
    SimulatedWork,
    Task,
    logistic_gradient,
    make_logistic_data,
)
from course_utils.distribution.simulator.work import numpy_logistic_loss


def test_gradients_of_a_partition_add_up_to_the_full_batch_gradient():
    x, y = make_logistic_data(101, 3, seed=1)
    work = LogisticGradientWork(x, y)
    weights = np.linspace(-1.0, 1.0, x.shape[1])
    parts = np.array_split(np.arange(len(y)), 4)
    total = sum(
        work(Task(i, 0, 0, part, weights), threading.Event()) * len(part) / len(y)
        for i, part in enumerate(parts)
    )
    np.testing.assert_allclose(total, logistic_gradient(weights, x, y), rtol=1e-10, atol=1e-12)


def test_the_gradient_is_the_derivative_of_the_loss():
    x, y = make_logistic_data(50, 2, seed=2)
    weights, step = np.array([0.3, -0.2, 0.1])[: x.shape[1]], 1e-6
    numeric = [
        (
            numpy_logistic_loss(weights + step * e, x, y)
            - numpy_logistic_loss(weights - step * e, x, y)
        )
        / (2 * step)
        for e in np.eye(len(weights))
    ]
    np.testing.assert_allclose(numeric, logistic_gradient(weights, x, y), rtol=1e-5, atol=1e-8)


def test_simulated_work_processes_every_item_of_its_task():
    task = Task(0, 0, 0, np.arange(3))
    assert SimulatedWork(0.0)(task, threading.Event()) == 3
