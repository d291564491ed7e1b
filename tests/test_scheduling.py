"""The root conftest.py's rules for `make test` under pytest-xdist, checked on a real xdist run.

pytest-xdist's own grouping broke silently once (pytest-dev/pytest-xdist#1386): the browser tests
then started one JupyterLab per process, and nothing failed. These tests run a small suite on two
processes and look at which process ran what.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

RECORD = """
import json, os, pathlib

def record(name):
    with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(json.dumps([name, os.environ.get("PYTEST_XDIST_WORKER")]) + "\\n")
"""


def _suite(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of conftest.py, 12 'browser' tests, and 12 tests in a folder that sorts before it."""
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "record.py").write_text(RECORD, encoding="utf-8")
    for folder in ("tests/browser", "tests/another"):
        path = tmp_path / folder
        path.mkdir(parents=True)
        tests = "\n".join(
            f"def test_{i}():\n    time.sleep(0.05)\n    record('{folder}/{i}')\n"
            for i in range(12)
        )
        header = "import time\nfrom record import record\n\n"
        (path / f"test_{path.name}.py").write_text(header + tests, encoding="utf-8")
    return tmp_path


def _run(suite: pathlib.Path, *options: str) -> list[tuple[str, str]]:
    record_file = suite / f"record-{len(list(suite.glob('record-*')))}.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "tests"],
        cwd=suite,
        env={**_environment(), "RECORD_FILE": str(record_file), "PYTHONPATH": str(suite)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = record_file.read_text(encoding="utf-8").splitlines()
    return [tuple(json.loads(line)) for line in lines]


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> pathlib.Path:
    return _suite(tmp_path_factory.mktemp("suite"))


def test_the_browser_tests_share_one_process_and_run_first(suite):
    runs = _run(suite, "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder")
    browser = [worker for name, worker in runs if name.startswith("tests/browser/")]
    other = [worker for name, worker in runs if name.startswith("tests/another/")]
    assert len(browser) == 12 and len(other) == 12
    assert len(set(browser)) == 1, f"the browser tests ran in {sorted(set(browser))}"
    # one module, one process: its module-scoped fixtures are built once
    assert len(set(other)) == 1, f"the tests of one module ran in {sorted(set(other))}"
    # the other process did not wait for them: it took other tests meanwhile
    assert set(other) - set(browser), "only one process ran tests"
    # handed out first: the browser process started with them
    first_of_that_process = next(name for name, worker in runs if worker == browser[0])
    assert first_of_that_process.startswith("tests/browser/")


def test_without_xdist_every_test_still_runs(suite):
    runs = _run(suite)
    assert len(runs) == 24 and {worker for _, worker in runs} == {None}
