"""checkpoint_cost: the function behind notebook 01's checkpoint-interval widget."""

from __future__ import annotations

import pytest

from course_utils.checkpoints import CheckpointCost, checkpoint_cost


def test_a_crash_loses_the_steps_since_the_last_save():
    cost = checkpoint_cost(every_n_steps=10, crash_step=37, checkpoint_bytes=100, keep_latest=2)
    assert cost == CheckpointCost(
        save_steps=(10, 20, 30),
        resume_step=30,
        lost_steps=7,
        bytes_written=300,
        bytes_stored=200,
    )


def test_a_crash_right_after_a_save_loses_nothing():
    cost = checkpoint_cost(every_n_steps=5, crash_step=20, checkpoint_bytes=1, keep_latest=None)
    assert cost.resume_step == 20 and cost.lost_steps == 0
    assert cost.bytes_stored == cost.bytes_written == 4


def test_a_crash_before_the_first_save_restarts_from_scratch():
    cost = checkpoint_cost(every_n_steps=50, crash_step=49, checkpoint_bytes=10)
    assert cost.save_steps == () and cost.resume_step == 0 and cost.lost_steps == 49
    assert cost.bytes_written == cost.bytes_stored == 0


@pytest.mark.parametrize("every", [1, 3, 7, 25])
def test_saving_more_often_never_loses_more_work(every):
    for crash in range(0, 60):
        cost = checkpoint_cost(every_n_steps=every, crash_step=crash, checkpoint_bytes=1)
        assert 0 <= cost.lost_steps < every
        assert cost.resume_step + cost.lost_steps == crash


@pytest.mark.parametrize(
    "kwargs",
    [
        {"every_n_steps": 0},
        {"crash_step": -1},
        {"checkpoint_bytes": 0},
        {"keep_latest": 0},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    arguments = {"every_n_steps": 5, "crash_step": 10, "checkpoint_bytes": 10, **kwargs}
    with pytest.raises(ValueError):
        checkpoint_cost(**arguments)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"every_n_steps": 2.5},
        {"every_n_steps": True},
        {"crash_step": 3.0},
        {"checkpoint_bytes": "10"},
        {"keep_latest": True},
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(kwargs):
    arguments = {"every_n_steps": 5, "crash_step": 10, "checkpoint_bytes": 10, **kwargs}
    (field,) = kwargs
    with pytest.raises(TypeError, match=f"^{field} must be an int"):
        checkpoint_cost(**arguments)
