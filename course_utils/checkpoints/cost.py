"""The price of a checkpoint interval: work lost at a crash vs storage written.

A plain function behind notebook 01's widget: save more often and a crash costs fewer steps,
but every save costs I/O and (with ``keep_latest``) disk space.
"""

from __future__ import annotations

import dataclasses

from course_utils.validation import check_int, check_positive_int

__all__ = ["CheckpointCost", "checkpoint_cost"]


@dataclasses.dataclass(frozen=True)
class CheckpointCost:
    """What a run that crashes at ``crash_step`` loses and what its checkpoints cost."""

    save_steps: tuple[int, ...]  # steps at which a checkpoint was committed before the crash
    resume_step: int  # where a restarted run resumes (0: from scratch)
    lost_steps: int  # steps computed before the crash that must be computed again
    bytes_written: int  # total checkpoint bytes written before the crash
    bytes_stored: int  # checkpoint bytes on disk at the crash (keep_latest of them)


def checkpoint_cost(
    *,
    every_n_steps: int,
    crash_step: int,
    checkpoint_bytes: int,
    keep_latest: int | None = 3,
) -> CheckpointCost:
    """Cost of saving every ``every_n_steps`` steps when the process dies after ``crash_step``.

    A save at step s is complete once step s finished, so a crash after step s keeps it.
    """
    every_n_steps = check_positive_int("every_n_steps", every_n_steps)
    checkpoint_bytes = check_positive_int("checkpoint_bytes", checkpoint_bytes)
    crash_step = check_int("crash_step", crash_step, minimum=0)
    keep_latest = check_positive_int("keep_latest", keep_latest, optional=True)
    saves = tuple(range(every_n_steps, crash_step + 1, every_n_steps))
    resume_step = saves[-1] if saves else 0
    kept = len(saves) if keep_latest is None else min(len(saves), keep_latest)
    return CheckpointCost(
        save_steps=saves,
        resume_step=resume_step,
        lost_steps=crash_step - resume_step,
        bytes_written=len(saves) * checkpoint_bytes,
        bytes_stored=kept * checkpoint_bytes,
    )
