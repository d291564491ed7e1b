"""Child processes and their groups, without reaping them early (used by ``WorkerLauncher``).

A worker is the leader of its own process group; the launcher signals the group, so that a
worker's own children end too, and peeks at exit codes with ``waitid(WNOWAIT)``, so that a
process id stays ours (a zombie) until ``Popen`` reaps it. Taught in notebook 06.
"""

from __future__ import annotations

import os
import subprocess

__all__ = ["exit_code", "exited_unreaped", "group_exists", "signal_group"]


def exited_unreaped(pid: int) -> bool:
    """True once child ``pid`` has exited; it stays a zombie (not reaped) so its id stays ours."""
    if not hasattr(os, "waitid"):  # no way to peek without reaping: wait out the grace period
        return False
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def exit_code(process: subprocess.Popen) -> int | None:
    """``process``'s exit code (negative: killed by that signal), or None; does not reap it."""
    if process.returncode is not None or not hasattr(os, "waitid"):
        return process.poll()
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere (e.g. by Popen.wait in another thread)
        return process.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the id is another user's now
        return False
    return True


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
