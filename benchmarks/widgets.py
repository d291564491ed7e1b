"""Benchmark: how long one widget update takes, against the 300 ms budget.

    python -m benchmarks.widgets            # 6 new settings per widget
    python -m benchmarks.widgets --quick    # 3

An update is what happens between releasing a slider and seeing the new picture: the
computation and the figure rendered to PNG (what the notebook's front end receives). Each
setting is new, so nothing comes from a cache (a revisited setting is timed apart).

- 02 (rollback explorer): ``rollback_run`` (a 100-step ``RollbackTrainer`` run, cached) and
  ``RunFigure.draw``, the same calls as the notebook's widget cell.
- 01 (checkpoint cost) and 07 (schedule): the update functions are defined in their notebooks;
  they are read from the notebook file (read-only) and run headless with Matplotlib's Agg backend.
- 03, 04 and 06 are not timed: their update functions need models trained earlier in the
  notebook (03, 04) or train on a button press by design (06).

Wall times depend on the machine's load: compare figures from the same run; the CPU column
(the process's own CPU time) is what a quiet machine would roughly take.
"""

from __future__ import annotations

import argparse
import ast
import io
import itertools
import json
import pathlib
import statistics
import time

from course_utils.notebook import setup

BUDGET_MS = 300.0
NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def _notebook_function(notebook: str, name: str, namespace: dict) -> object:
    """The function ``name`` defined in a code cell of ``notebook``, compiled into ``namespace``."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        if f"def {name}(" not in source:
            continue
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                exec(compile(ast.Module([node], []), notebook, "exec"), namespace)
                return namespace[name]
    raise LookupError(f"no function {name} in {notebook}")


def _render_pyplot_figures() -> None:
    """What the inline backend does after a cell: render every open figure to PNG, close it."""
    import matplotlib.pyplot as plt

    for number in plt.get_fignums():
        plt.figure(number).savefig(io.BytesIO(), format="png", bbox_inches="tight")
    plt.close("all")


def _time(update, settings) -> list[tuple[float, float]]:
    """(wall ms, CPU ms of this process) per update."""
    times = []
    for setting in settings:
        wall, cpu = time.perf_counter(), time.process_time()
        update(*setting)
        times.append(((time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3))
    return times


def rollback_explorer(count: int) -> tuple[list, list]:
    from course_utils.rollback import rollback_run
    from course_utils.rollback.plots import RunFigure

    figure = RunFigure(target=0.45)

    def update(learning_rate, spike_factor, decay):
        result = rollback_run(learning_rate, spike_factor, decay, steps=100)
        title = f"lr0={learning_rate:.3g}, spike_factor={spike_factor:.3g}, decay={decay:.2f}"
        return figure.draw(result.log, title=title), result.summary()

    update(0.5, 10.0, 0.5)  # the default, drawn when the widget appears (traces the step)
    rates, factors, decays = (0.2, 1.0, 2.0, 0.3), (10.0, 3.0, 1.5), (0.25, 0.7, 0.4)
    settings = list(itertools.islice(itertools.product(rates, factors, decays), count))
    times = _time(update, settings)
    cached = _time(update, settings[:1])
    return times, cached


def checkpoint_cost_widget(count: int) -> list:
    import matplotlib.pyplot as plt

    from course_utils.checkpoints import checkpoint_cost

    namespace = {"plt": plt, "checkpoint_cost": checkpoint_cost, "checkpoint_bytes": 50_000}
    show_cost = _notebook_function("01_checkpoints.ipynb", "show_cost", namespace)

    def update(every_n_steps, crash_step):
        show_cost(every_n_steps=every_n_steps, crash_step=crash_step)
        _render_pyplot_figures()

    settings = [(5 + 7 * i, 20 + 11 * i) for i in range(count)]
    return _time(update, settings)


def schedule_widget(count: int) -> list:
    import matplotlib.pyplot as plt

    from course_utils.distribution.simulator import plot_schedule, simulate_schedule

    namespace = {"plt": plt, "plot_schedule": plot_schedule, "simulate_schedule": simulate_schedule}
    show_schedule = _notebook_function("07_distributed_simulator.ipynb", "show_schedule", namespace)

    def update(num_workers, straggler_delay, mode):
        show_schedule(num_workers=num_workers, straggler_delay=straggler_delay, mode=mode)
        _render_pyplot_figures()

    # the delay slider's range is 0 to 0.06 s: sample it up to its end
    settings = [
        (1 + (3 * i) % 8, round(0.06 * (i + 1) / count, 2), ("sync", "async")[i % 2])
        for i in range(count)
    ]
    return _time(update, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 settings per widget instead of 6")
    args = parser.parse_args(argv)
    count = 3 if args.quick else 6
    setup(seed=42)
    import matplotlib

    matplotlib.use("Agg")

    rows = []
    times, cached = rollback_explorer(count)
    rows.append(("02 rollback explorer (new setting)", times))
    rows.append(("02 rollback explorer (revisited, cached)", cached))
    rows.append(("01 checkpoint cost", checkpoint_cost_widget(count)))
    rows.append(("07 schedule", schedule_widget(count)))

    print(
        f"{'widget update':<42} {'median ms':>9} {'max ms':>7} {'CPU ms':>7} {'budget':>7}  within"
    )
    for name, values in rows:
        walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
        median, worst = statistics.median(walls), max(walls)
        verdict = "yes" if worst <= BUDGET_MS else "NO"
        print(
            f"{name:<42} {median:>9.0f} {worst:>7.0f} {statistics.median(cpus):>7.0f} "
            f"{BUDGET_MS:>7.0f}  {verdict}"
        )
    print("median/max: wall time per update; CPU ms: this process's CPU time (median), which")
    print("other load on the machine does not inflate as much.")
    print("(03, 04, 06 not timed: their updates need trained models or run on a button press)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
