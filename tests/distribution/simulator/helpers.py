"""Shared by the simulator tests: the learning-rate settings and the thread check."""

from __future__ import annotations

LR, STEPS = 0.5, 8


def assert_no_thread_left(server):
    assert server.workers, "the server never started its workers"
    alive = [w.name for w in server.workers if w.is_alive()]
    assert alive == [], f"threads left running: {alive}"
