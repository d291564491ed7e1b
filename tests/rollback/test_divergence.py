"""DivergencePolicy: NaN, infinity and spikes are divergence; the rate decays by a known law."""

from __future__ import annotations

import math

import pytest

from course_utils.rollback import DivergenceError, DivergencePolicy
from course_utils.rollback.divergence import give_up_error


@pytest.mark.parametrize(
    ("loss", "best", "expected"),
    [
        (math.nan, 0.5, "nan"),
        (math.nan, None, "nan"),
        (math.inf, 0.5, "inf"),
        (-math.inf, 0.5, "inf"),
        (5.01, 0.5, "spike"),  # above 10 x best
        (5.0, 0.5, None),  # exactly 10 x best is not above it
        (0.9, 0.5, None),  # worse than best, but no spike
        (100.0, None, None),  # no best yet: only NaN/inf can count
    ],
)
def test_check_classifies_losses(loss, best, expected):
    assert DivergencePolicy(spike_factor=10.0).check(loss, best) == expected


def test_spike_detection_can_be_turned_off():
    policy = DivergencePolicy(spike_factor=None)
    assert policy.check(1e9, 0.1) is None
    assert policy.check(math.nan, 0.1) == "nan"


def test_tight_spike_factor_flags_small_bumps():
    assert DivergencePolicy(spike_factor=1.05).check(0.53, 0.5) == "spike"


@pytest.mark.parametrize("rollbacks", [0, 1, 2, 5])
def test_learning_rate_after_k_rollbacks_is_lr0_times_decay_to_the_k(rollbacks):
    policy = DivergencePolicy(decay=0.3)
    assert policy.learning_rate_after(0.8, rollbacks) == 0.8 * 0.3**rollbacks


def test_allows_counts_against_max_rollbacks():
    policy = DivergencePolicy(max_rollbacks=2)
    assert policy.allows(0) and policy.allows(1) and not policy.allows(2)
    assert DivergencePolicy(max_rollbacks=None).allows(10**6)
    assert not DivergencePolicy(max_rollbacks=0).allows(0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"spike_factor": 1.0}, ValueError, "spike_factor"),
        ({"spike_factor": float("nan")}, ValueError, "spike_factor"),
        ({"spike_factor": "10"}, TypeError, "spike_factor"),
        ({"decay": 0.0}, ValueError, "decay"),
        ({"decay": 1.5}, ValueError, r"decay must be a finite number in \(0, 1\], got 1.5"),
        ({"decay": True}, TypeError, "decay"),
        ({"max_rollbacks": -1}, ValueError, "max_rollbacks"),
        ({"max_rollbacks": 2.5}, TypeError, "max_rollbacks"),
        ({"max_rollbacks": True}, TypeError, "max_rollbacks"),
    ],
)
def test_bad_fields_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        DivergencePolicy(**kwargs)


def test_learning_rate_after_refuses_negative_counts():
    with pytest.raises(ValueError, match="rollbacks"):
        DivergencePolicy().learning_rate_after(0.1, -1)
    with pytest.raises(TypeError, match="rollbacks"):
        DivergencePolicy().learning_rate_after(0.1, 1.0)


def test_give_up_error_says_what_happened_and_what_to_try():
    error = give_up_error(
        DivergencePolicy(max_rollbacks=3), reason="nan", loss=float("nan"), step=12, best=None,
        learning_rate=0.5, initial=0.5, feature_stds=[1.0, 9.83],
    )  # fmt: skip
    message = str(error)
    assert isinstance(error, DivergenceError)
    assert "nan: loss nan at step 12" in message and "best so far none" in message
    assert "max_rollbacks=3" in message and "[1.0, 9.83]" in message and "Try" in message
