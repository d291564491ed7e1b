"""TrainingEventLog: the views the plots and self-checks read."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.rollback import TrainingEventLog


def _log() -> TrainingEventLog:
    log = TrainingEventLog()
    log.add(0, "step", 0.7, 0.5, initial=True)
    log.add(0, "save", 0.7, 0.5, name="ckpt-0000000000", reason="initial")
    log.add(1, "step", 0.6, 0.5)
    log.add(1, "save", 0.6, 0.5, name="ckpt-0000000001", reason="improvement")
    log.add(2, "step", math.nan, 0.5)
    log.add(2, "rollback", math.nan, 0.25, reason="nan", restored_step=1)
    log.add(3, "step", 0.55, 0.25)
    log.add(4, "step", 0.35, 0.25)
    log.add(9, "step", 9.0, 0.25)
    log.add(9, "rollback", 9.0, 0.125, reason="spike", restored_step=1)
    return log


def test_step_views_are_aligned():
    log = _log()
    assert log.steps.tolist() == [0, 1, 2, 3, 4, 9]
    assert np.isnan(log.losses[2]) and log.losses[-1] == 9.0
    assert log.learning_rates.tolist() == [0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert [e.step for e in log.rollbacks] == [2, 9] and len(log.saves) == 2
    assert log.final_loss == 9.0 and log.diverged()


def test_first_step_below_and_steps_lost():
    log = _log()
    assert log.first_step_below(0.4) == 4
    assert log.first_step_below(0.1) is None
    # rollback at 2 loses 2 - 1 = 1 step; at 9 it loses 9 - max(1, 2) = 7 steps
    assert log.steps_lost() == 8


def test_table_lists_saves_and_rollbacks_only():
    table = _log().table()
    assert "rollback" in table and "save" in table and "initial=True" not in table
    assert len(table.splitlines()) == 1 + 4


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        TrainingEventLog().add(0, "crash", 0.0, 0.1)


def test_empty_log():
    log = TrainingEventLog()
    assert (
        math.isnan(log.final_loss) and not log.diverged() and repr(log) == "TrainingEventLog(empty)"
    )
