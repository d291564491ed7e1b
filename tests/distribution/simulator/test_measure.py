"""The measurements and the widget's computation (notebook 07)."""

from __future__ import annotations

import matplotlib
import pytest

from course_utils.distribution.simulator import (
    measure_coordination_overhead,
    measure_thread_speedup,
    plot_schedule,
    simulate_schedule,
)

matplotlib.use("Agg")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_widget_function_runs_and_plots(mode):
    result = simulate_schedule(3, 0.03, mode, rounds=2)
    assert result.version == (2 if mode == "sync" else 6)
    assert result.leaked_threads == []
    fig = plot_schedule(result)
    assert len(fig.axes) == 2
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="mode"):
        simulate_schedule(mode="both")


def test_measurements_return_one_positive_time_per_worker_count():
    overhead = measure_coordination_overhead((1, 4), rounds=3, trials=2)
    speed = measure_thread_speedup((1, 2), num_items=2000, num_features=4, rounds=2, trials=1)
    for table in (overhead, speed):
        assert list(table) == sorted(table) and all(v > 0 for v in table.values())


def test_measurements_reject_bad_counts():
    with pytest.raises(ValueError, match="trials"):
        measure_coordination_overhead((1,), trials=0)
    with pytest.raises(ValueError, match="rounds"):
        measure_thread_speedup((1,), num_items=10, rounds=0)
