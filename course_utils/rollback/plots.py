"""Plots for notebook 02: the loss with rollbacks marked, and decision boundaries.

Each function draws on a Matplotlib ``Axes`` you pass in and returns what it drew on, so that
the notebook arranges the figures and the functions stay testable without a display.
``RunFigure`` is the widget's figure: made once, redrawn in place, returned as PNG bytes.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from course_utils.datasets.tabular import Dataset
from course_utils.rollback.events import TrainingEventLog

__all__ = ["RunFigure", "plot_loss", "plot_boundary"]


def plot_loss(ax, log: TrainingEventLog, *, label: str, color: str, show_lr: bool = True):
    """Training loss (log scale) per step; rollbacks/restarts as triangles, NaN/inf as crosses.

    With ``show_lr`` the learning rate is drawn dashed on a second y axis, which is returned
    (else None).
    """
    steps, losses = log.steps, log.losses
    finite = np.isfinite(losses)
    marker = "o" if finite.sum() < 5 else None  # a run that died at once is still visible
    ax.semilogy(steps[finite], losses[finite], color=color, lw=1.2, marker=marker, label=label)
    top = ax.get_xaxis_transform()  # x in data units, y as a fraction of the axes' height
    if (~finite).any():
        ax.plot(steps[~finite], np.full((~finite).sum(), 0.96), "x", color=color, ms=8,
                transform=top)  # fmt: skip
    for event in log.rollbacks + log.restarts:
        ax.axvline(event.step, color=color, lw=0.8, ls=":")
        ax.plot([event.step], [0.96], "v", color=color, ms=7, transform=top)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (log scale)")
    if not show_lr:
        return None
    twin = ax.twinx()
    twin.step(steps, log.learning_rates, where="post", color=color, ls="--", lw=1, alpha=0.7)
    twin.set_ylabel("learning rate (dashed)")
    return twin


def plot_boundary(ax, dataset: Dataset, boundaries: list[tuple[str, np.ndarray, float, str]]):
    """Scatter the training rows and draw ``w . x + b = 0`` for each ``(label, w, b, style)``."""
    x, y = dataset.x_train, dataset.y_train
    ax.scatter(x[y == 0, 0], x[y == 0, 1], s=6, c="tab:blue", alpha=0.4, label="class 0")
    ax.scatter(x[y == 1, 0], x[y == 1, 1], s=6, c="tab:orange", alpha=0.4, label="class 1")
    x1 = np.linspace(x[:, 0].min(), x[:, 0].max(), 50)
    low, high = x[:, 1].min(), x[:, 1].max()
    for label, weights, bias, style in boundaries:
        w = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(w)) or not np.isfinite(bias) or abs(w[1]) < 1e-12:
            continue  # NaN weights (or a vertical line we skip): nothing meaningful to draw
        ax.plot(x1, -(w[0] * x1 + bias) / w[1], style, lw=2, label=label)
    ax.set_xlabel("x1 (unit scale)")
    ax.set_ylabel("x2 (scaled up)")
    ax.set_ylim(low, high)
    return ax


class RunFigure:
    """One loss-and-learning-rate figure, redrawn in place for each run (notebook 02's widget).

    A plain Matplotlib ``Figure`` (not a pyplot one: nothing is shown by accident) with a fixed
    layout and fixed loss ticks, the two things that made each redraw slow. ``draw`` returns
    PNG bytes for an ``ipywidgets.Image`` (or a test) to show.
    """

    LOSS_TICKS = (0.3, 0.5, 1.0, 3.0, 10.0, 30.0)

    def __init__(self, *, target: float, figsize: tuple[float, float] = (9.0, 3.2), dpi=72):
        self.target = float(target)
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.figure.subplots_adjust(left=0.09, right=0.9, bottom=0.16, top=0.9)
        self.ax = self.figure.add_subplot()
        self.twin = self.ax.twinx()

    def draw(self, log: TrainingEventLog, *, title: str) -> bytes:
        """Replace what the axes show by ``log``'s run; return the figure as PNG bytes."""
        self.ax.clear()
        self.twin.clear()
        plot_loss(self.ax, log, label="rollback", color="tab:green", show_lr=False)
        self.ax.axhline(self.target, color="grey", lw=0.8)
        self.ax.set_ylim(self.LOSS_TICKS[0], self.LOSS_TICKS[-1])
        self.ax.yaxis.set_major_locator(FixedLocator(self.LOSS_TICKS))
        self.ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        self.ax.yaxis.set_minor_locator(NullLocator())
        rates = log.learning_rates
        self.twin.step(log.steps, rates, where="post", color="tab:green", ls="--", lw=1, alpha=0.7)
        self.twin.set_ylim(0, float(rates.max()) * 1.05 if len(rates) else 1.0)
        self.twin.yaxis.tick_right()  # clear() moved the twin's axis to the left
        self.twin.yaxis.set_label_position("right")
        self.twin.set_ylabel("learning rate (dashed)")
        self.ax.set_title(title)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()
