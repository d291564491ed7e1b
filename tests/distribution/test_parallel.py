"""Independent tasks in a process pool: no shared state, and a failed task is retried alone."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.distribution.parallel import InjectedFailure, run_independent, train_task

RATES = (0.1, 0.3, 0.9)


def test_a_task_learns_and_is_deterministic():
    first, second = train_task(0.3, steps=100), train_task(0.3, steps=100)
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.loss < np.log(2)  # better than the all-zero model it starts from
    assert train_task(0.3, steps=200).loss < first.loss


def test_an_injected_failure_raises_half_way():
    with pytest.raises(InjectedFailure, match="lr=0.3 failed at step 50"):
        train_task(0.3, steps=100, fail=True)


def test_pool_results_equal_the_same_tasks_run_alone():
    run = run_independent(RATES, steps=50)
    assert sorted(run.results) == sorted(RATES)
    for lr in RATES:
        np.testing.assert_array_equal(run.results[lr].weights, train_task(lr, steps=50).weights)
    assert [a.ok for a in run.attempts] == [True] * 3


def test_a_failed_task_is_retried_alone_and_the_others_are_kept():
    clean = run_independent(RATES, steps=50)
    faulty = run_independent(RATES, steps=50, failures={0.3: 2})
    runs = {lr: [a.ok for a in faulty.attempts if a.learning_rate == lr] for lr in RATES}
    assert runs == {0.1: [True], 0.3: [False, False, True], 0.9: [True]}
    for lr in RATES:
        np.testing.assert_array_equal(faulty.results[lr].weights, clean.results[lr].weights)


def test_a_task_that_keeps_failing_raises_after_max_attempts():
    with pytest.raises(InjectedFailure):
        run_independent(RATES, steps=20, failures={0.9: 5}, max_attempts=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rates": [0.1, 0.1]}, ValueError, "distinct"),
        ({"learning_rates": [-0.1]}, ValueError, "learning_rates item"),
        ({"learning_rates": ["0.1"]}, TypeError, "learning_rates item"),
        ({"learning_rates": [0.1], "max_attempts": 0}, ValueError, "max_attempts"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        run_independent(**kwargs)


def test_train_task_checks_its_arguments():
    with pytest.raises(ValueError, match="steps"):
        train_task(0.1, steps=0)
    with pytest.raises(TypeError, match="learning_rate"):
        train_task(True)


def test_every_pool_process_runs_a_task_even_when_tasks_are_quick():
    # Tasks of 5 steps take microseconds: without the start-up barrier the first pool process
    # could finish them all before the second one exists (seen in notebook 06).
    for _ in range(3):
        run = run_independent((0.05, 0.1, 0.2, 0.4), steps=5, max_workers=2)
        assert len({result.pid for result in run.results.values()}) == 2


def test_a_retried_task_with_fewer_tasks_than_workers_starts_no_lonely_pool_process():
    # 2 tasks, room for 4 processes: the pool holds 2, so the retry cannot start a third one
    # that would wait at the start-up barrier for peers that never come.
    run = run_independent((0.1, 0.2), steps=5, failures={0.2: 1}, max_workers=4)
    assert sorted(run.results) == [0.1, 0.2]
    assert len({result.pid for result in run.results.values()}) <= 2


@pytest.mark.parametrize("bad", [0, -1])
def test_max_workers_must_be_positive(bad):
    with pytest.raises(ValueError, match="max_workers"):
        run_independent((0.1,), max_workers=bad)
