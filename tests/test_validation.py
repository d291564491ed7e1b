"""One rule for numbers in every module: wrong type -> TypeError, bad value -> ValueError.

First the helpers of ``course_utils.validation``, then the rule across the package: each public
call that takes a count or a number refuses ``2.0``, ``"3"`` and ``True`` with a ``TypeError``
naming the argument, refuses an out-of-range value with a ``ValueError`` naming it, and accepts
NumPy integers. None of these calls needs TensorFlow to reach its check.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.validation import (
    check_bool,
    check_float,
    check_int,
    check_positive_float,
    check_positive_int,
)


# ---------------------------------------------------------------------------- the helpers
@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_check_int_accepts_python_and_numpy_integers_and_returns_a_python_int(value):
    result = check_int("n", value, minimum=1, maximum=3)
    assert result == 3 and type(result) is int


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (True, "bool True"),
        (False, "bool False"),
        (np.bool_(True), "bool"),
        (2.0, "float 2.0"),
        (np.float64(2.0), "float64"),
        ("3", "str '3'"),
        (None, "NoneType None"),
        ([1], "list [1]"),
    ],
)
def test_check_int_refuses_other_types_naming_argument_rule_and_value(value, described):
    with pytest.raises(TypeError) as caught:
        check_int("num_workers", value, minimum=1)
    message = str(caught.value)
    assert message.startswith("num_workers must be an int >= 1, got ") and described in message


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"minimum": 1}, 0, "num_workers must be >= 1, got 0"),
        ({"maximum": 4}, 5, "num_workers must be <= 4, got 5"),
        ({"minimum": 1, "maximum": 4}, 0, "num_workers must be in 1..4, got 0"),
        ({"minimum": 1, "optional": True}, 0, "num_workers must be >= 1 or None, got 0"),
    ],
)
def test_check_int_refuses_values_out_of_range(kwargs, value, message):
    with pytest.raises(ValueError) as caught:
        check_int("num_workers", value, **kwargs)
    assert str(caught.value) == message


def test_none_passes_only_where_optional():
    assert check_int("n", None, optional=True) is None
    assert check_float("x", None, optional=True) is None
    with pytest.raises(TypeError, match="n must be an int >= 1 or None, got float 1.5"):
        check_positive_int("n", 1.5, optional=True)
    with pytest.raises(TypeError):
        check_float("x", None)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.int64(1)])
def test_check_float_accepts_reals_and_returns_a_python_float(value):
    result = check_float("decay", value, above=0, maximum=1)
    assert type(result) is float and 0 < result <= 1


@pytest.mark.parametrize("value", [True, "0.5", None, 1j])
def test_check_float_refuses_other_types(value):
    with pytest.raises(TypeError, match=r"^decay must be a number in \(0, 1\], got "):
        check_float("decay", value, above=0, maximum=1)


@pytest.mark.parametrize(
    ("kwargs", "value", "rule"),
    [
        ({"above": 0}, 0, "> 0"),
        ({"minimum": 0}, -0.5, ">= 0"),
        ({"below": 1}, 1, "< 1"),
        ({"maximum": 1}, 1.5, "<= 1"),
        ({"above": 0, "maximum": 1}, 0.0, "in (0, 1]"),
        ({"minimum": 0, "below": 1}, 1.0, "in [0, 1)"),
        ({"minimum": 0}, math.nan, ">= 0"),
        ({"minimum": 0}, math.inf, ">= 0"),
    ],
)
def test_check_float_refuses_bad_values_nan_and_infinity(kwargs, value, rule):
    with pytest.raises(ValueError) as caught:
        check_float("x", value, **kwargs)
    assert str(caught.value) == f"x must be a finite number {rule}, got {value!r}"


def test_infinity_only_where_allowed():
    assert check_positive_float("timeout", math.inf, allow_inf=True) == math.inf
    with pytest.raises(ValueError, match="timeout must be a finite number > 0, got inf"):
        check_positive_float("timeout", math.inf)
    with pytest.raises(ValueError, match="timeout must be a number > 0, got nan"):
        check_positive_float("timeout", math.nan, allow_inf=True)


def test_check_bool():
    assert check_bool("shuffle", True) is True and check_bool("shuffle", np.bool_(False)) is False
    for bad in (1, 0, "yes", None):
        with pytest.raises(TypeError, match="shuffle must be True or False, got "):
            check_bool("shuffle", bad)


# ---------------------------------------------------------------------------- across the package
def _calls():
    """(id, call taking the value under test, argument name, a bad value) for each check."""
    from course_utils.checkpoints import CheckpointPolicy, InMemoryStorage, checkpoint_cost
    from course_utils.devices import split_cpu
    from course_utils.distribution.launch import WorkerLauncher, free_ports, tf_config
    from course_utils.distribution.simulator import DataPartitioner
    from course_utils.distribution.simulator.work import SimulatedWork, make_logistic_data
    from course_utils.distribution.simulator.worker import Fault
    from course_utils.distribution.strategy import make_strategy
    from course_utils.notebook import setup
    from course_utils.rollback.divergence import DivergencePolicy
    from course_utils.transfer.build_embeddings import build
    from course_utils.transfer.embeddings import PretrainedWordEmbeddings

    embeddings = PretrainedWordEmbeddings(["a", "b", "c"], np.eye(3))
    return [
        ("DataPartitioner", DataPartitioner, "num_workers", 0),
        ("partition", DataPartitioner(2).partition, "num_items", -1),
        ("checkpoint_cost", lambda v: checkpoint_cost(
            every_n_steps=v, crash_step=1, checkpoint_bytes=1), "every_n_steps", 0),
        ("CheckpointPolicy", lambda v: CheckpointPolicy(keep_latest=v), "keep_latest", 0),
        ("InMemoryStorage", InMemoryStorage, "max_checkpoints", 0),
        ("DivergencePolicy", lambda v: DivergencePolicy(max_rollbacks=v), "max_rollbacks", -1),
        ("split_cpu", split_cpu, "count", 0),
        ("setup", lambda v: setup(seed=v), "seed", -1),
        ("free_ports", free_ports, "count", 0),
        ("WorkerLauncher", lambda v: WorkerLauncher(["-c", ""], num_workers=v), "num_workers", 0),
        ("tf_config", lambda v: tf_config(["a:1"], v), "index", None),
        ("make_strategy", make_strategy, "replicas", 0),
        ("make_logistic_data", make_logistic_data, "num_items", 0),
        ("SimulatedWork", SimulatedWork, "seconds_per_batch", -1),
        ("Fault", lambda v: Fault("raise", v), "Fault round", 0),
        ("build_embeddings", lambda v: build(window=v), "window", 0),
        ("most_similar", lambda v: embeddings.most_similar("a", k=v), "k", 0),
    ]  # fmt: skip


CALLS = {call_id: rest for call_id, *rest in _calls()}
REAL_NUMBERS = {"SimulatedWork"}


@pytest.mark.parametrize("call_id", list(CALLS))
@pytest.mark.parametrize("wrong", [2.5, "3", True], ids=["float", "str", "bool"])
def test_a_wrong_type_is_a_type_error_in_every_module(call_id, wrong):
    call, name, _ = CALLS[call_id]
    if call_id in REAL_NUMBERS and isinstance(wrong, float):
        pytest.skip(f"{name} is a real number: {wrong} is its right type")
    with pytest.raises(TypeError) as caught:
        call(wrong)
    assert str(caught.value).startswith(f"{name} must be "), caught.value
    assert repr(wrong) in str(caught.value)


@pytest.mark.parametrize("call_id", [k for k, (_, _, bad) in CALLS.items() if bad is not None])
def test_a_bad_value_is_a_value_error_in_every_module(call_id):
    call, name, bad = CALLS[call_id]
    with pytest.raises(ValueError) as caught:
        call(bad)
    assert str(caught.value).startswith(f"{name} must be "), caught.value
    assert f"got {bad}" in str(caught.value)


def test_numpy_integers_are_ints_everywhere():
    from course_utils.checkpoints import checkpoint_cost
    from course_utils.distribution.launch import tf_config
    from course_utils.distribution.simulator import DataPartitioner

    parts = DataPartitioner(np.int64(3)).partition(np.int32(7))
    assert [len(p) for p in parts] == [3, 2, 2]
    cost = checkpoint_cost(every_n_steps=np.int64(5), crash_step=np.int64(12), checkpoint_bytes=1)
    assert cost.lost_steps == 2 and type(cost.lost_steps) is int
    assert '"index": 1' in tf_config(["a:1", "b:2"], np.int64(1))
