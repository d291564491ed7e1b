"""The benchmark command runs and prints its two tables (a smoke test, no timed assertions)."""

from __future__ import annotations

from benchmarks.simulator import main


def test_benchmark_quick_run_prints_ratio_tables(capsys):
    assert main(["--quick", "--rounds", "3", "--trials", "1"]) == 0
    out = capsys.readouterr().out
    assert "coordination overhead per round" in out
    assert "BLAS threads as configured" in out and "one BLAS thread per worker" in out
    assert "x 1 worker" in out and "speed-up" in out
