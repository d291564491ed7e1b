"""The Gantt chart of a run (notebook 07)."""

from __future__ import annotations

import matplotlib

from course_utils.distribution.simulator import (
    CentralServer,
    Fault,
    SimulatedWork,
    failed_spans,
    plot_schedule,
)

matplotlib.use("Agg")


def test_failed_work_is_drawn_until_the_server_noticed():
    server = CentralServer(
        3,
        SimulatedWork(0.005),
        num_items=3,
        faults={1: Fault("hang", 2)},
        timeout=0.2,
        reassign=True,
    )
    result = server.run(3)
    (span,) = failed_spans(result.log)
    noticed = result.log.select(kind="failure")[0].t
    assert (span.actor, span.round, span.end) == ("worker-1", 2, noticed)
    assert span.seconds >= 0.2
    fig = plot_schedule(result)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "failed / hung" in labels and "idle at barrier" in labels
    matplotlib.pyplot.close(fig)
