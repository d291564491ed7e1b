"""Fork server for test_crash.py: each trial is a fresh process that saves until SIGKILLed.

    python tests/checkpoints/crash_worker.py

Importing TensorFlow costs seconds, a save costs milliseconds, so this server imports once
(without running any TensorFlow op) and forks one child per trial. For each stdin line
``ROOT LOG`` it forks; the child starts TensorFlow, builds the model and a manager on
``LocalStorage(ROOT)``, appends ``ready`` to LOG, then for each step N appends ``saving N``,
saves (weights encode N, loss 1/N) and appends ``committed N``. The server prints
``forked PID`` and, once the child is dead, ``reaped PID SIGNAL`` (the signal that killed it,
or -1 if it exited). The parent test does the killing.
"""

from __future__ import annotations

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import course_utils.checkpoints  # noqa: F401  (imports TensorFlow; runs no op)
import tests.checkpoints.helpers  # noqa: F401


def child(root: str, log: str) -> None:
    from course_utils.checkpoints import CheckpointManager, LocalStorage
    from course_utils.notebook import setup
    from tests.checkpoints.helpers import crash_policy, make_state, set_weights_for_step

    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def say(text: str) -> None:
        os.write(out, f"{text}\n".encode())  # unbuffered: what was said survives a SIGKILL

    setup(seed=0)  # the child's TensorFlow runtime starts here, after the fork
    state = make_state(0, data=False)
    manager = CheckpointManager(state, LocalStorage(root), crash_policy())
    say("ready")
    for step in range(1, 1_000_000):
        set_weights_for_step(state, step)
        say(f"saving {step}")
        manager.save({"loss": 1.0 / step})
        say(f"committed {step}")


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        root, log = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                child(root, log)
            finally:
                os._exit(1)
        print(f"forked {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        killed_by = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1
        print(f"reaped {pid} {killed_by}", flush=True)


if __name__ == "__main__":
    main()
