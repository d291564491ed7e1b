"""benchmarks.course: the side-by-side table, the test command's budget, argument checks.

No notebook and no test command is run: ``make test`` is replaced by a stand-in.
"""

import pathlib
import subprocess
import sys

import pytest

from benchmarks import course
from benchmarks.course import ROOT, Row, children_cpu_seconds, format_table, main, time_baseline


def test_the_table_shows_the_baseline_and_the_speed_up_only_when_there_is_one():
    plain = format_table([Row("notebook a", 10.0, "ok", 2.0, 8.0)])
    assert "speed-up" not in plain
    table = format_table([Row("notebook a", 10.0, "ok", 2.0, 8.0, baseline=25.0)])
    header, _, row = table.splitlines()
    assert "baseline (s)" in header and "speed-up" in header
    assert "| 25.0 | 2.50x |" in row


def test_the_cpu_columns_appear_only_when_measured():
    assert "CPU" not in format_table([Row("notebook a", 10.0, "ok", 2.0, 8.0, baseline=25.0)])
    table = format_table(
        [Row("notebook a", 10.0, "ok", 2.0, 8.0, baseline=25.0, cpu=14.0, baseline_cpu=30.5)]
    )
    header, _, row = table.splitlines()
    assert header.count("|") == row.count("|")
    assert "| CPU (s) |" in header and "| baseline CPU (s) |" in header
    assert "| 10.0 | 14.0 | 25.0 | 2.50x | 30.5 | ok |" in row


@pytest.mark.skipif(sys.platform == "win32", reason="no resource module")
def test_children_cpu_counts_a_grandchild_that_was_waited_for():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    # the child only starts and waits for a grandchild, which does the work
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}], check=True)"
    before = children_cpu_seconds()
    subprocess.run([sys.executable, "-c", child], check=True)
    after = children_cpu_seconds()
    assert before is not None and after is not None
    assert after - before >= 0.3


def test_a_baseline_without_the_notebook_is_a_clear_error(tmp_path: pathlib.Path):
    notebook = ROOT / "notebooks" / "01_checkpoints.ipynb"
    with pytest.raises(FileNotFoundError, match="the baseline has no notebooks/01_checkpoints"):
        time_baseline(notebook, tmp_path)


def test_a_baseline_that_is_not_a_checkout_is_refused(tmp_path: pathlib.Path, capsys):
    with pytest.raises(SystemExit):
        main(["--quick", "--no-patterns", "--baseline", str(tmp_path)])
    assert "not a checkout of the course" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "budget", "expected"),
    [
        (0, 720.0, "within the 12 min budget"),
        (0, 0.0, "OVER the 0 min budget"),
        (2, 720.0, "FAILED (exit code 2)"),
    ],
)
def test_the_test_command_is_timed_against_its_budget(monkeypatch, code, budget, expected):
    output = "== 1200 passed, 1 skipped in 400.00s ==\n== 300 passed in 70.00s ==\n"
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, code, stdout=output, stderr="")

    monkeypatch.setattr(course.subprocess, "run", fake_run)
    row = course.time_test_command(budget=budget)
    assert calls == [["make", "test"]]
    assert expected in row.result and "1200 passed, 1 skipped in 400.00s" in row.result
    assert row.ok == (code == 0)
