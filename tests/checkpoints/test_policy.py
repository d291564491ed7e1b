"""CheckpointPolicy: when to save and what to keep, including NaN and min_delta."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.checkpoints import CheckpointPolicy

NAN = float("nan")


def _reason(policy, step=1, seconds=0.0, metrics=None, best=None):
    return policy.reason_to_save(
        step=step, seconds_since_save=seconds, metrics=metrics or {}, best=best
    )


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs",
    [
        {"every_n_steps": 0},
        {"every_n_steps": -3},
        {"every_n_seconds": 0},
        {"every_n_seconds": -1.0},
        {"every_n_seconds": NAN},
        {"keep_latest": 0},
        {"keep_best": -1},
        {"mode": "maximize"},
        {"mode": "MIN"},
        {"min_delta": -0.1},
        {"min_delta": NAN},
        {"save_on_improvement": True},
        {"keep_best": 1},
        {"keep_best": 1, "monitor": ""},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        CheckpointPolicy(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"every_n_steps": 2.5},
        {"every_n_steps": "10"},
        {"every_n_steps": True},
        {"every_n_seconds": "5"},
        {"every_n_seconds": True},
        {"keep_latest": 1.0},
        {"keep_latest": True},
        {"keep_best": 1.5},
        {"keep_best": False},
        {"min_delta": "0.1"},
        {"save_on_improvement": "yes"},
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(kwargs):
    (field,) = kwargs
    with pytest.raises(TypeError, match=f"^{field} must be"):
        CheckpointPolicy(**kwargs)


def test_numpy_numbers_are_accepted():
    policy = CheckpointPolicy(every_n_steps=np.int64(5), every_n_seconds=np.float32(0.5))
    assert policy.reason_to_save(step=10, seconds_since_save=0, metrics={}, best=None)


def test_defaults_keep_three_and_never_trigger():
    policy = CheckpointPolicy()
    assert policy.keep_latest == 3 and policy.keep_best == 0
    assert _reason(policy, step=100, seconds=1e9, metrics={"loss": 0.0}) is None


# ---------------------------------------------------------------------------- when to save
def test_every_n_steps_fires_on_multiples_only():
    policy = CheckpointPolicy(every_n_steps=3)
    due = [step for step in range(0, 13) if _reason(policy, step=step) == "every_n_steps"]
    assert due == [3, 6, 9, 12]


def test_every_n_seconds_fires_once_enough_time_passed():
    policy = CheckpointPolicy(every_n_seconds=10.0)
    assert _reason(policy, seconds=9.99) is None
    assert _reason(policy, seconds=10.0) == "every_n_seconds"
    assert _reason(policy, seconds=500.0) == "every_n_seconds"


def test_steps_take_precedence_over_seconds_and_improvement():
    policy = CheckpointPolicy(
        every_n_steps=2, every_n_seconds=1.0, monitor="loss", save_on_improvement=True
    )
    assert _reason(policy, step=4, seconds=5.0, metrics={"loss": 0.1}) == "every_n_steps"
    assert _reason(policy, step=5, seconds=5.0, metrics={"loss": 0.1}) == "every_n_seconds"
    assert _reason(policy, step=5, seconds=0.0, metrics={"loss": 0.1}, best=1.0) == "improvement"


@pytest.mark.parametrize(
    ("mode", "value", "best", "min_delta", "improves"),
    [
        ("min", 0.5, 1.0, 0.0, True),
        ("min", 1.0, 1.0, 0.0, False),  # equal is not an improvement
        ("min", 1.5, 1.0, 0.0, False),
        ("min", 0.95, 1.0, 0.1, False),  # better, but by less than min_delta
        ("min", 0.85, 1.0, 0.1, True),
        ("max", 0.9, 0.8, 0.0, True),
        ("max", 0.7, 0.8, 0.0, False),
        ("max", 0.85, 0.8, 0.1, False),
        ("max", 0.95, 0.8, 0.1, True),
        ("min", 123.0, None, 0.0, True),  # anything finite beats "no best yet"
        ("max", -123.0, None, 0.5, True),
        ("min", NAN, 1.0, 0.0, False),  # NaN is never an improvement
        ("min", NAN, None, 0.0, False),
        ("max", NAN, None, 0.0, False),
        ("max", NAN, 0.1, 0.0, False),
        ("min", 0.3, NAN, 0.0, True),  # a NaN best is beaten by any finite value
        ("min", math.inf, None, 0.0, False),
        ("max", math.inf, 1.0, 0.0, False),
        ("min", -math.inf, 1.0, 0.0, False),
        ("min", None, 1.0, 0.0, False),
    ],
)
def test_is_improvement(mode, value, best, min_delta, improves):
    policy = CheckpointPolicy(monitor="loss", mode=mode, min_delta=min_delta)
    assert policy.is_improvement(value, best) is improves


def test_improvement_triggers_a_save_only_when_asked_and_monitored():
    on = CheckpointPolicy(monitor="loss", save_on_improvement=True)
    off = CheckpointPolicy(monitor="loss", save_on_improvement=False)
    assert _reason(on, metrics={"loss": 0.5}, best=1.0) == "improvement"
    assert _reason(on, metrics={"loss": 1.5}, best=1.0) is None
    assert _reason(on, metrics={"loss": NAN}, best=1.0) is None
    assert _reason(on, metrics={"accuracy": 0.5}, best=1.0) is None  # monitor missing
    assert _reason(off, metrics={"loss": 0.5}, best=1.0) is None


def test_score_puts_nan_and_none_below_every_finite_value():
    for mode in ("min", "max"):
        policy = CheckpointPolicy(mode=mode)
        finite = [policy.score(v) for v in (-1e30, -1.0, 0.0, 1.0, 1e30)]
        assert policy.score(NAN) == policy.score(None) == -math.inf
        assert all(policy.score(NAN) < s for s in finite)
    assert CheckpointPolicy(mode="min").score(2.0) < CheckpointPolicy(mode="min").score(1.0)
    assert CheckpointPolicy(mode="max").score(2.0) > CheckpointPolicy(mode="max").score(1.0)


# ---------------------------------------------------------------------------- what to keep
def _checkpoints(*values):
    """``(name, step, value)`` triples for steps 1..n."""
    return [(f"c{step}", step, value) for step, value in enumerate(values, start=1)]


@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_keep_latest_keeps_the_k_highest_steps(k):
    checkpoints = _checkpoints(*([0.5] * 6))
    checkpoints.reverse()  # order of the input does not matter, the step does
    assert CheckpointPolicy(keep_latest=k).to_keep(checkpoints) == {
        f"c{step}" for step in range(max(1, 7 - k), 7)
    }


def test_keep_latest_none_keeps_everything():
    checkpoints = _checkpoints(0.1, 0.2, 0.3)
    assert CheckpointPolicy(keep_latest=None).to_keep(checkpoints) == {"c1", "c2", "c3"}


@pytest.mark.parametrize(
    ("mode", "values", "k", "best"),
    [
        ("min", (0.5, 0.2, 0.9, 0.3, 0.8, 0.7), 1, {"c2"}),
        ("min", (0.5, 0.2, 0.9, 0.3, 0.8, 0.7), 2, {"c2", "c4"}),
        ("max", (0.5, 0.2, 0.9, 0.3, 0.8, 0.7), 2, {"c3", "c5"}),
        ("min", (NAN, 0.4, NAN, 0.6, NAN, 0.7), 2, {"c2", "c4"}),  # NaN never kept as best
        ("max", (NAN, 0.4, NAN, 0.6, NAN, 0.7), 2, {"c4", "c6"}),
        ("min", (0.3, None, 0.9, 0.4, 0.8, 0.7), 1, {"c1"}),
    ],
)
def test_keep_best_keeps_the_k_best_besides_the_latest(mode, values, k, best):
    policy = CheckpointPolicy(monitor="loss", mode=mode, keep_latest=1, keep_best=k)
    assert policy.to_keep(_checkpoints(*values)) == best | {"c6"}


def test_nan_is_not_kept_as_best_over_a_finite_value():
    policy = CheckpointPolicy(monitor="loss", keep_latest=1, keep_best=1)
    # The latest is finite; the best slot must go to the finite 5.0, not to NaN.
    assert policy.to_keep(_checkpoints(NAN, 5.0, NAN, 9.0)) == {"c2", "c4"}
    assert CheckpointPolicy(monitor="acc", mode="max", keep_latest=1, keep_best=1).to_keep(
        _checkpoints(NAN, -5.0, NAN, -9.0)
    ) == {"c2", "c4"}


def test_keep_best_on_equal_values_prefers_the_later_step():
    policy = CheckpointPolicy(monitor="loss", keep_latest=1, keep_best=1)
    assert policy.to_keep(_checkpoints(0.5, 0.5, 0.9)) == {"c2", "c3"}


def test_to_keep_of_nothing_is_empty():
    assert CheckpointPolicy(monitor="loss", keep_best=2).to_keep([]) == set()
