"""Shared by the distribution tests: run a TensorFlow script in a fresh process, read its result."""

from __future__ import annotations

import json
import subprocess
import sys


def run_result_script(script: str, timeout: float = 240) -> dict:
    """Run ``script`` with this Python; return the JSON of its last ``RESULT {...}`` line.

    TensorFlow fixes its devices and threads once per process, so tests that need their own
    device layout run in a child process. Fails with the child's stderr if it printed no result.
    """
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])
