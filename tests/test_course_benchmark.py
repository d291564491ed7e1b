"""benchmarks.course: the side-by-side table, the test command's budget, argument checks.

No notebook and no test command is run: ``make test`` is replaced by a stand-in.
"""

import pathlib
import subprocess

import pytest

from benchmarks import course
from benchmarks.course import ROOT, Row, format_table, main, time_baseline


def test_the_table_shows_the_baseline_and_the_speed_up_only_when_there_is_one():
    plain = format_table([Row("notebook a", 10.0, "ok", 2.0, 8.0)])
    assert "speed-up" not in plain
    table = format_table([Row("notebook a", 10.0, "ok", 2.0, 8.0, baseline=25.0)])
    header, _, row = table.splitlines()
    assert "baseline (s)" in header and "speed-up" in header
    assert "| 25.0 | 2.50x |" in row


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
