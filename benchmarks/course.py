"""The course benchmark: how long each notebook, the test suite and each pattern benchmark take.

    python -m benchmarks.course                 # everything, `make test` included (~15 minutes)
    python -m benchmarks.course --quick         # no test command, pattern benchmarks in quick mode
    python -m benchmarks.course --no-patterns notebooks/01_checkpoints.ipynb
    python -m benchmarks.course --browser       # also time the browser test (needs Chromium)
    python -m benchmarks.course --quick --no-patterns --baseline ../baseline   # side by side

With ``--baseline DIR`` (another checkout of the course, e.g. ``git worktree add ../baseline
main``) every notebook is timed twice in turn, first DIR's copy with DIR's own ``course_utils``
(``PYTHONPATH=DIR``), then this one, so that both see the same load; the table adds the
baseline's wall time and the speed-up (baseline / this).

For every notebook: the kernel's start-up (until it answers) and the execution of all cells,
with nbclient, the way ``make notebooks`` runs them (the notebooks are not written back), and the
CPU time (user + system) of the kernel and every process it started, such as 01's spare
processes and 06's workers. On a machine with N cores a notebook's wall time cannot drop below
its CPU time / N, so the CPU column says how much a notebook can still gain from scheduling
alone, and it is what a busy machine (the test command) pays for every run. Then
the README's test command, ``make test``, in the installed environment, against the course's
budget of 12 minutes on a 2-core machine (``--browser`` also times the browser test on its own),
and every pattern benchmark command under ``benchmarks/`` (their own
tables are printed after the summary). One Markdown table sums it all up, headed by the machine
it was measured on, ready for the README.
Wall times depend on the machine's load: compare figures from the same run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import pathlib
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

from tools.run_notebooks import notebook_paths

__all__ = [
    "Row",
    "children_cpu_seconds",
    "machine_info",
    "main",
    "run_benchmark",
    "time_baseline",
    "time_browser_test",
    "time_notebook",
    "time_test_command",
]

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Arguments for the pattern benchmarks: (full run, --quick run). Others run with no arguments.
PATTERN_ARGS = {
    "checkpoints": (["--rounds", "3"], ["--megabytes", "10", "--rounds", "3"]),
    "distribution": ([], ["--steps", "10"]),
    "simulator": ([], ["--quick"]),
    "widgets": ([], ["--quick"]),
}
#: The whole test command's budget (issue 16), on a 2-core machine, environment installed.
TEST_COMMAND_BUDGET = 12 * 60


@dataclass
class Row:
    """One line of the summary table."""

    what: str
    total: float
    result: str
    kernel_start: float | None = None
    execution: float | None = None
    ok: bool = True
    baseline: float | None = None  # the same notebook from the --baseline checkout, same run
    cpu: float | None = None  # user + system seconds of the process and all it started
    baseline_cpu: float | None = None


def children_cpu_seconds() -> float | None:
    """User + system CPU seconds of this process's ended and waited-for descendants (POSIX).

    A child's figure includes its own descendants that it waited for: the difference around a
    notebook run is the kernel's CPU time plus that of every process the kernel started and
    ended (01's spares, 06's workers). None where the ``resource`` module does not exist.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_since(before: float | None) -> float | None:
    """Descendants' CPU seconds since ``before`` (a ``children_cpu_seconds()``), or None."""
    after = children_cpu_seconds()
    return None if before is None or after is None else after - before


def machine_info() -> dict[str, str]:
    """CPU model and count, RAM, OS, and the Python / TensorFlow / Keras versions."""
    model = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages * page_size / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        ram = "unknown"

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {
        "CPU": model,
        "CPUs": str(os.cpu_count()),
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "TensorFlow": version("tensorflow"),
        "Keras": version("keras"),
    }


def time_notebook(path: pathlib.Path, timeout: int = 300) -> Row:
    """Run one notebook top to bottom in a fresh kernel; time kernel start and execution."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook")
    notebook = nbformat.read(path, as_version=4)
    ready: list[float] = []
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_notebook_start=lambda **_: ready.append(time.perf_counter()),
    )
    cpu_before = children_cpu_seconds()
    start = time.perf_counter()
    try:
        client.execute()  # ends by shutting the kernel down and waiting for its process
        result, ok = "ok", True
    except CellExecutionError as error:
        result, ok = f"FAILED: {str(error).strip().splitlines()[-1][:80]}", False
    end = time.perf_counter()
    cpu = _cpu_since(cpu_before)
    started = ready[0] if ready else end
    return Row(
        f"notebook {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
        end - start,
        result,
        kernel_start=started - start,
        execution=end - started,
        ok=ok,
        cpu=cpu,
    )


def time_baseline(path: pathlib.Path, baseline_root: pathlib.Path, timeout: int = 300) -> Row:
    """Time the baseline checkout's copy of ``path`` with the baseline's own course_utils."""
    relative = path.resolve().relative_to(ROOT)
    copy = baseline_root / relative
    if not copy.is_file():
        raise FileNotFoundError(f"{copy}: the baseline has no {relative}")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(baseline_root), before]))
    try:  # the kernel inherits this environment: it imports the baseline's course_utils
        return time_notebook(copy, timeout)
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def time_browser_test() -> Row:
    """Wall time of the browser test alone (``pytest tests/browser``)."""
    label = "browser test: pytest tests/browser"
    command = [sys.executable, "-m", "pytest", "tests/browser", "-q"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit code {done.returncode}"
    _print_failures(done.stdout)
    return Row(label, elapsed, summary, ok=done.returncode == 0)


def _print_failures(pytest_output: str) -> None:
    """Echo pytest's FAILED / ERROR summary lines, indented under the row being timed."""
    for line in pytest_output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            print(f"    {line}", flush=True)


def time_test_command(budget: float = TEST_COMMAND_BUDGET) -> Row:
    """Wall time of ``make test`` (lint, every test, every notebook), against ``budget`` seconds.

    The environment must be installed already (``make install``): its set-up time is not counted.
    """
    cpu_before = children_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu = _cpu_since(cpu_before)
    summaries = [
        line.strip("= ")
        for line in done.stdout.splitlines()
        if line.startswith("=") and " in " in line and ("passed" in line or "failed" in line)
    ]
    within = "within" if elapsed <= budget else "OVER"
    verdict = f"{elapsed / 60:.1f} min, {within} the {budget / 60:g} min budget"
    if done.returncode != 0:
        _print_failures(done.stdout)
        verdict = f"FAILED (exit code {done.returncode}); " + verdict
    result = "; ".join([*summaries, verdict])
    return Row(
        "make test (environment installed)", elapsed, result, ok=done.returncode == 0, cpu=cpu
    )


def run_benchmark(name: str, args: list[str]) -> tuple[Row, str]:
    """Run ``python -m benchmarks.<name> <args>``; return its row and its own printed table."""

    def run(arguments: list[str]) -> tuple[subprocess.CompletedProcess, float]:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return done, time.perf_counter() - start

    done, elapsed = run(args)
    if done.returncode == 2 and "unrecognized arguments" in done.stderr and args:
        args = []  # the benchmark changed its options: fall back to its defaults
        done, elapsed = run(args)
    command = " ".join(["python -m", f"benchmarks.{name}", *args])
    result = "ok" if done.returncode == 0 else f"FAILED (exit code {done.returncode})"
    output = done.stdout if done.returncode == 0 else done.stdout + done.stderr[-2000:]
    return Row(
        command, elapsed, result, ok=done.returncode == 0
    ), f"$ {command}\n{output.rstrip()}\n"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def format_table(rows: list[Row]) -> str:
    with_baseline = any(row.baseline is not None for row in rows)
    with_cpu = any(row.cpu is not None for row in rows)
    header = "| what | kernel start (s) | execution (s) | wall time (s) |"
    rule = "|---|---:|---:|---:|"
    if with_cpu:
        header += " CPU (s) |"
        rule += "---:|"
    if with_baseline:
        header += " baseline (s) | speed-up |" + (" baseline CPU (s) |" if with_cpu else "")
        rule += "---:|---:|" + ("---:|" if with_cpu else "")
    lines = [header + " result |", rule + "---|"]
    for row in rows:
        cells = f" {_seconds(row.cpu)} |" if with_cpu else ""
        if with_baseline:
            speed_up = "" if row.baseline is None else f"{row.baseline / row.total:.2f}x"
            cells += f" {_seconds(row.baseline)} | {speed_up} |"
            cells += f" {_seconds(row.baseline_cpu)} |" if with_cpu else ""
        lines.append(
            f"| {row.what} | {_seconds(row.kernel_start)} | {_seconds(row.execution)} "
            f"| {row.total:.1f} |{cells} {row.result} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=[str(ROOT / "notebooks")])
    parser.add_argument("--quick", action="store_true", help="skip the test command")
    parser.add_argument("--no-patterns", action="store_true", help="skip pattern benchmarks")
    parser.add_argument(
        "--browser", action="store_true", help="also time the browser test (tests/browser)"
    )
    parser.add_argument("--timeout", type=int, default=300, help="seconds per notebook cell")
    parser.add_argument(
        "--baseline",
        type=pathlib.Path,
        help="another checkout: time its copy of each notebook in turn with this one",
    )
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "course_utils").is_dir():
        parser.error(f"--baseline {args.baseline}: not a checkout of the course (no course_utils/)")

    info = machine_info()
    info["load average at start"] = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in info.items()), flush=True)
    rows: list[Row] = []
    for path in notebook_paths(args.notebooks):
        baseline = None
        if args.baseline is not None:
            baseline = time_baseline(path, args.baseline.resolve(), args.timeout)
            print(f"  {baseline.total:6.1f} s  baseline {baseline.what}  {baseline.result}")
        rows.append(time_notebook(path, args.timeout))
        cpu = "" if rows[-1].cpu is None else f" (CPU {rows[-1].cpu:.1f} s)"
        if baseline is not None:
            rows[-1].baseline = baseline.total
            rows[-1].baseline_cpu = baseline.cpu
            rows[-1].ok = rows[-1].ok and baseline.ok
        print(f"  {rows[-1].total:6.1f} s  {rows[-1].what}{cpu}  {rows[-1].result}", flush=True)
    if not args.quick:
        rows.append(time_test_command())
        print(f"  {rows[-1].total:6.1f} s  {rows[-1].what}  {rows[-1].result}", flush=True)
    if args.browser:
        rows.append(time_browser_test())
        print(f"  {rows[-1].total:6.1f} s  {rows[-1].what}  {rows[-1].result}", flush=True)
    outputs: list[str] = []
    if not args.no_patterns:
        names = sorted(
            p.stem
            for p in (ROOT / "benchmarks").glob("*.py")
            if p.stem not in {"__init__", "course"}
        )
        for name in names:
            full, quick = PATTERN_ARGS.get(name, ([], []))
            row, output = run_benchmark(name, quick if args.quick else full)
            rows.append(row)
            outputs.append(output)
            print(f"  {row.total:6.1f} s  {row.what}  {row.result}", flush=True)

    print()
    print(f"Course benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    info["load average at end"] = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    print()
    print(format_table(rows))
    for output in outputs:
        print()
        print(output)
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
