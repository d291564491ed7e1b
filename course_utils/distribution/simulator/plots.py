"""Gantt charts of a simulator run: who computed when, who waited at the barrier (notebook 07)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_utils.distribution.simulator.events import (
    EventLog,
    barrier_spans,
    failed_spans,
    worker_spans,
)
from course_utils.distribution.simulator.results import SimulationResult

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

__all__ = ["plot_gantt", "plot_schedule"]


def plot_gantt(log: EventLog, ax: plt.Axes | None = None, *, title: str = "workers per round"):
    """Draw one row per worker: a coloured bar per round of work, a grey hatched bar for the
    time spent waiting at the barrier, a red bar for work that failed or hung (until the server
    noticed), and a dashed line at each server update. Returns ``ax``.
    """
    import matplotlib.pyplot as plt  # on first plot: importing the simulator stays fast
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    compute, waits, failed = worker_spans(log), barrier_spans(log), failed_spans(log)
    actors = {s.actor for s in compute + failed}
    names = sorted(actors, key=lambda n: int(n.rsplit("-", 1)[-1]) if n[-1].isdigit() else -1)
    rows = {name: i for i, name in enumerate(names)}
    colours = plt.get_cmap("tab10")

    def bar(span, **style) -> None:
        left, width = span.start * 1000, span.seconds * 1000
        ax.barh(rows[span.actor], width, left=left, height=0.6, linewidth=0.5, **style)

    for span in compute:
        bar(span, color=colours((span.round - 1) % 10), edgecolor="black")
    for span in waits:
        bar(span, color="lightgrey", hatch="//", edgecolor="grey")
    for span in failed:
        bar(span, color="tab:red", alpha=0.6, hatch="xx", edgecolor="darkred")
    for event in log.select(actor="server", kind="update"):
        ax.axvline(event.t * 1000, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("time since start (ms)")
    ax.set_title(title)
    legend = [Patch(color=colours(0), label="work (colour = round)")]
    legend.append(
        Patch(facecolor="lightgrey", hatch="//", edgecolor="grey", label="idle at barrier")
    )
    if failed:
        legend.append(Patch(facecolor="tab:red", alpha=0.6, hatch="xx", label="failed / hung"))
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax


def plot_schedule(result: SimulationResult, *, title: str = "") -> plt.Figure:
    """Gantt chart plus round times (synchronous) or staleness per update (asynchronous)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2), width_ratios=(2.2, 1))
    plot_gantt(result.log, left, title=title or "workers over time")
    if result.rounds:
        right.bar([r.round for r in result.rounds], [s * 1000 for s in result.round_seconds])
        right.set_xlabel("round")
        right.set_ylabel("round time (ms)")
        right.set_title("synchronous: round time")
    else:
        right.bar([u.update for u in result.updates], [u.staleness for u in result.updates])
        right.set_xlabel("update")
        right.set_ylabel("staleness (versions)")
        right.set_title("asynchronous: staleness")
    fig.tight_layout()
    return fig
