"""Crash safety: SIGKILL a saving process at random moments; the latest always restores.

Each trial is a fresh process (forked by ``crash_worker.py`` after one TensorFlow import, which
keeps 20+ trials fast) that saves in a tight loop until it is SIGKILLed after a random, seeded
delay. Then, in this process, a new manager must discard the leftovers, restore the latest
checkpoint (a step reported committed, or newer) with exactly that step's weights, restore every
listed checkpoint, and restore the best one.
"""

from __future__ import annotations

import collections
import os
import pathlib
import random
import signal
import subprocess
import sys
import time
import warnings

import pytest

from course_utils.checkpoints import CheckpointManager, LocalStorage

from .helpers import crash_policy, expected_weight, make_state, weights

WORKER = pathlib.Path(__file__).with_name("crash_worker.py")
REPO = pathlib.Path(__file__).resolve().parents[2]
TRIALS = 24
MAX_DELAY = 0.6


@pytest.fixture
def fork_server(tmp_path):
    stderr = open(tmp_path / "server.stderr", "w")
    server = subprocess.Popen(
        [sys.executable, str(WORKER)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready", (tmp_path / "server.stderr").read_text()
        yield server
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            server.stdout.close()
            stderr.close()


def _lines(log: pathlib.Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _run_trial(
    server, root: pathlib.Path, log: pathlib.Path, after: str, delay: float
) -> list[str]:
    """Fork a saving child, SIGKILL it ``delay`` s after it logs ``after``; return its lines."""
    server.stdin.write(f"{root} {log}\n")
    server.stdin.flush()
    forked = server.stdout.readline().split()
    assert forked[0] == "forked", forked
    pid = int(forked[1])
    deadline = time.monotonic() + 120
    while after not in _lines(log):
        assert time.monotonic() < deadline, f"the child never logged {after!r}"
        time.sleep(0.01)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    reaped = server.stdout.readline().split()
    assert reaped == ["reaped", str(pid), str(int(signal.SIGKILL))], (
        reaped,
        _lines(log)[-3:],
    )
    return _lines(log)


def _where(lines: list[str], restored: int | None) -> str:
    last = lines[-1]
    if last.startswith("saving"):
        landed = "after" if restored == int(last.split()[1]) else "before"
        return f"in a save, {landed} its rename"
    if last.startswith("committed"):
        return "between saves"
    return "before the first save"


def _kinds(leftovers: list[str]) -> list[str]:
    """Name what each discarded leftover was: a staged write, a deletion, a best record."""
    kinds = []
    for message in leftovers:
        leaf = message.rsplit("/", 1)[-1]
        if leaf.startswith("tmp-"):
            kinds.append("staged write")
        elif leaf.startswith("del-"):
            kinds.append("deletion")
        elif ".tmp-" in leaf:
            kinds.append("best record")
        else:
            kinds.append(leaf)
    return kinds


def _check(root: pathlib.Path, lines: list[str]) -> tuple[int | None, list[str]]:
    """The checks after one kill; returns (restored step, kinds of leftovers discarded)."""
    started = [int(line.split()[1]) for line in lines if line.startswith("saving")]
    committed = [int(line.split()[1]) for line in lines if line.startswith("committed")]
    state = make_state(1, data=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = CheckpointManager(state, LocalStorage(root), crash_policy())
        info = manager.restore_latest()
    messages = [str(w.message) for w in caught]
    leftovers = [m for m in messages if "incomplete checkpoint write" in m]
    assert leftovers == messages, "a killed save never leaves a damaged, listed checkpoint"

    if info is None:
        assert not committed, "a reported commit must be restorable"
        return None, _kinds(leftovers)
    if committed:
        assert info.step >= max(committed), (info.step, committed[-3:])
    assert info.step in started, "a checkpoint exists only for a step whose save began"
    assert int(state.step) == info.step
    for index, value in enumerate(weights(state)):
        assert (value == expected_weight(value.shape, info.step, index)).all(), info.step

    listed = manager.checkpoints()
    assert 1 <= len(listed) <= 3 and listed[-1].step == info.step  # keep 2, +1 mid-save
    for other in listed:  # every listed checkpoint is complete
        assert manager.restore(other.name).step == other.step
    # The best record is written just after the commit, so it may lag by one save (and be
    # missing after a kill right after the first commit), but it never names a lost checkpoint.
    best = manager.best
    if best is None:
        assert [other.step for other in listed] == [1]
    else:
        assert best["name"] in {other.name for other in listed}
        assert best["step"] >= info.step - 1
        assert manager.restore_best().step == best["step"]
    assert not any((root / ".staging").iterdir()), "leftovers were discarded"
    return info.step, _kinds(leftovers)


def test_sigkill_at_random_moments_never_breaks_restore_latest(fork_server, tmp_path):
    rng = random.Random(2026)
    landed = collections.Counter()
    restored, leftovers = [], collections.Counter()
    started = time.monotonic()
    for trial in range(TRIALS):
        root, log = tmp_path / f"trial-{trial:02d}", tmp_path / f"trial-{trial:02d}.log"
        # Half the kills count from "ready" (some land before the first commit, some in it),
        # half from the first commit (so that a restore is always checked, however slow).
        after = "ready" if trial % 2 == 0 else "committed 1"
        lines = _run_trial(fork_server, root, log, after, rng.uniform(0.0, MAX_DELAY))
        step, kinds = _check(root, lines)
        landed[_where(lines, step)] += 1
        restored.append(step)
        leftovers.update(kinds)
    elapsed = time.monotonic() - started
    print(
        f"\n{TRIALS} SIGKILL trials in {elapsed:.1f} s; kills landed: {dict(landed)}; "
        f"leftovers discarded: {dict(leftovers)}; restored steps: {restored}"
    )
    assert sum(landed.values()) == TRIALS
    in_a_save = sum(count for where, count in landed.items() if where.startswith("in a save"))
    assert in_a_save >= TRIALS // 4, "too few kills landed inside a save"
    assert sum(step is not None for step in restored) >= TRIALS // 2
