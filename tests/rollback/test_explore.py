"""The widget's functions: cached, report a give-up instead of raising; the plots draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from course_utils.rollback import compare_strategies, default_dataset, rollback_run, strategy_row
from course_utils.rollback.plots import RunFigure, plot_boundary, plot_loss


def test_rollback_run_is_cached_and_summarised():
    first = rollback_run(0.5, 10.0, 0.5, steps=40)
    assert rollback_run(0.5, 10.0, 0.5, steps=40) is first
    assert first.rollbacks >= 1 and first.error is None
    assert f"{first.rollbacks} rollbacks" in first.summary()


def test_rollback_run_reports_giving_up():
    result = rollback_run(1e4, 10.0, 1.0, steps=20, max_rollbacks=2)
    assert result.error is not None and "max_rollbacks=2" in result.error
    assert result.rollbacks == 2 and "gave up" in result.summary()


def test_compare_strategies_gives_one_row_per_run():
    rows = compare_strategies(
        default_dataset(), learning_rate=0.5, steps=30, target=0.5, sampler_seeds=(2,)
    )
    assert [row["strategy"] for row in rows] == ["none", "restart", "rollback"]
    assert not np.isfinite(rows[0]["final_loss"]) and rows[2]["recoveries"] >= 1


def test_plots_draw_loss_rollbacks_and_boundaries():
    result = rollback_run(0.5, 10.0, 0.5, steps=40)
    figure, (left, right) = plt.subplots(1, 2)
    twin = plot_loss(left, result.log, label="rollback", color="tab:green")
    assert twin is not None and left.get_yscale() == "log"
    data = default_dataset()
    plot_boundary(right, data, [("w", np.array([1.0, 0.1]), 0.0, "k-"),
                                ("nan", np.array([np.nan, 1.0]), 0.0, "r--")])  # fmt: skip
    assert len(right.lines) == 1  # NaN weights are skipped
    plt.close(figure)


def test_strategy_row_describes_a_finished_run():
    from course_utils.rollback import RollbackTrainer

    trainer = RollbackTrainer(default_dataset(), learning_rate=0.5, seed=2)
    trainer.fit(30)
    row = strategy_row(trainer, seed=2, target=0.5)
    assert row["seed"] == 2 and row["strategy"] == "rollback"
    assert row["recoveries"] == trainer.rollbacks and row["steps_lost"] == trainer.log.steps_lost()
    assert row["first_below_target"] == trainer.log.first_step_below(0.5)


def test_run_figure_redraws_in_place_and_returns_png():
    figure = RunFigure(target=0.45)
    first = figure.draw(rollback_run(0.5, 10.0, 0.5, steps=40).log, title="first")
    axes_before = list(figure.figure.axes)
    second = figure.draw(rollback_run(1.0, 10.0, 0.5, steps=40).log, title="second")
    assert first[:8] == second[:8] == b"\x89PNG\r\n\x1a\n" and first != second
    assert figure.figure.axes == axes_before and len(axes_before) == 2  # no new axes
    assert figure.ax.get_title() == "second" and figure.twin.yaxis.get_label_position() == "right"
