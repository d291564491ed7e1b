"""benchmarks/checkpoints.py runs end to end on a tiny state and prints every budget line."""

from __future__ import annotations

import pytest

from benchmarks.checkpoints import main


def test_the_benchmark_prints_each_ratio_against_its_budget(capsys):
    assert main(["--megabytes", "0.3", "--rounds", "1", "--levels", "1"]) == 0
    out = capsys.readouterr().out
    for line in (
        "durable save / plain write + fsync",
        "restore with verification / tf.train.Checkpoint.read",
        "async stall / sync save",
        "(budget <= 1.1x:",
        "(budget <= 1.3x:",
        "(budget <= 20%:",
        "Adam slots still zero",
        "Adam slots random-like",
    ):
        assert line in out, line
    assert out.count("zstd-1") >= 2 and out.count("best zstd (zstd-1)") == 2


@pytest.mark.parametrize("argv", [["--megabytes", "0"], ["--rounds", "0"]])
def test_the_benchmark_refuses_bad_sizes(argv):
    with pytest.raises(ValueError, match="--megabytes must be > 0 and --rounds >= 1"):
        main(argv)
