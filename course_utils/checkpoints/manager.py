"""CheckpointManager: save, list, restore latest or best, keep what the policy says.

The manager owns every decision about persistence, so the ``CheckpointedTrainer`` stays a plain
loop:

- ``maybe_save(metrics)`` asks the ``CheckpointPolicy`` whether a save is due; ``save`` saves.
- A save writes the ``ModelState`` into a staging folder, adds a manifest with an xxh3-128
  checksum per file, publishes it through ``Storage`` (atomic), updates the best-so-far record,
  and only then deletes checkpoints the policy no longer keeps. It refuses to overwrite an
  existing step.
- ``restore_latest`` verifies checksums (of every file and of the manifest itself) and that the
  saved step and epoch are the manifest's, and falls back, with a warning naming it, past a
  truncated or corrupted checkpoint to the newest valid one.
- The best-so-far record lives in storage (``best.json``), so "best" survives a restart.
- ``async_save=True``: the state is snapshotted on the training thread (snapshot.py)
  and written, checksummed and committed by a background thread. A background failure is raised
  at the next ``save`` or at ``wait()``.

Taught in notebook 01; notebooks 02 and 06 reuse it.
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import warnings
from collections.abc import Mapping

from course_utils._tf import tensorflow
from course_utils.checkpoints.manifest import (
    CorruptCheckpointError,
    verify,
)
from course_utils.checkpoints.policy import CheckpointPolicy
from course_utils.checkpoints.records import (
    BEST_RECORD,
    STATE_PREFIX,
    CheckpointInfo,
    best_record,
    check_counters,
    check_prefix,
    publish,
    read_best,
    read_infos,
)
from course_utils.checkpoints.snapshot import snapshot
from course_utils.checkpoints.state import ModelState
from course_utils.checkpoints.storage import Storage

__all__ = ["CheckpointInfo", "CheckpointManager", "CheckpointSaveError"]


class CheckpointSaveError(RuntimeError):
    """A background (async) save failed; raised at the next save or at ``wait()``."""


class CheckpointManager:
    """Persistence for a ``ModelState`` in a ``Storage``, following a ``CheckpointPolicy``."""

    def __init__(
        self,
        state: ModelState,
        storage: Storage,
        policy: CheckpointPolicy | None = None,
        *,
        async_save: bool = False,
        prefix: str = "ckpt",
    ) -> None:
        if not isinstance(state, ModelState):
            raise TypeError(f"state must be a ModelState, got {type(state).__name__}")
        if not isinstance(storage, Storage):
            raise TypeError(f"storage must be a Storage, got {type(storage).__name__}")
        check_prefix(prefix)
        self.state, self.storage = state, storage
        self.policy = policy or CheckpointPolicy()
        self.prefix = prefix
        self._lock = threading.Lock()
        self._executor = concurrent.futures.ThreadPoolExecutor(1) if async_save else None
        self._pending: tuple[str, concurrent.futures.Future] | None = None
        self._last_save = time.monotonic()
        for leftover in storage.discard_incomplete():
            warnings.warn(f"removed an incomplete checkpoint write: {leftover}", stacklevel=2)
        self._infos = self._read_infos()
        self._best: dict | None = self._read_best()

    def __repr__(self) -> str:
        return f"CheckpointManager({self.storage!r}, {len(self._infos)} checkpoints)"

    def __enter__(self) -> CheckpointManager:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ----------------------------------------------------------------- listing
    def _read_infos(self) -> dict[str, CheckpointInfo]:
        return read_infos(self.storage, self.prefix)

    def refresh(self) -> None:
        """Re-read the listing and the best record (after another process wrote)."""
        self.wait()
        self._infos = self._read_infos()
        self._best = self._read_best()

    def _read_best(self) -> dict | None:
        return read_best(self.storage, self.policy, self.checkpoints())

    def checkpoints(self) -> list[CheckpointInfo]:
        """Committed checkpoints, oldest first."""
        with self._lock:
            return sorted(self._infos.values(), key=lambda info: info.step)

    @property
    def latest(self) -> CheckpointInfo | None:
        infos = self.checkpoints()
        return infos[-1] if infos else None

    @property
    def best(self) -> dict | None:
        """The best-so-far record: ``{"name", "step", "monitor", "value"}`` or None."""
        return dict(self._best) if self._best else None

    # ------------------------------------------------------------------ saving
    def maybe_save(self, metrics: Mapping[str, float] | None = None) -> CheckpointInfo | None:
        """Save if the policy says a checkpoint is due at the current step."""
        metrics = dict(metrics or {})
        reason = self.policy.reason_to_save(
            step=self.state.step_number,
            seconds_since_save=time.monotonic() - self._last_save,
            metrics=metrics,
            best=self._best["value"] if self._best else None,
        )
        return self.save(metrics, reason=reason) if reason else None

    def save(
        self, metrics: Mapping[str, float] | None = None, *, reason: str = "manual"
    ) -> CheckpointInfo:
        """Save the state at its current step now. Raises ValueError if that step exists."""
        self.wait()  # one write at a time; raises a failed background save
        step = self.state.step_number
        name = f"{self.prefix}-{step:010d}"
        if name in self._infos:
            raise ValueError(
                f"a checkpoint for step {step} already exists ({name}); refusing to overwrite it"
            )
        metrics = {key: float(value) for key, value in (metrics or {}).items()}
        info = CheckpointInfo(name, step, self.state.epoch_number, metrics, reason)
        monitor = self.policy.monitor
        best_value = self._best["value"] if self._best else None
        new_best = None
        if monitor and self.policy.is_improvement(metrics.get(monitor), best_value):
            new_best = best_record(name, step, monitor, metrics[monitor])
            self._best = new_best  # decided now, recorded in storage after the commit
        if self._executor is None:
            try:
                self._commit(info, new_best, self.state.write)
            except BaseException:
                self._best = self._read_best()  # forget a best that never landed
                raise
        else:
            write_later = snapshot(self.state.checkpoint)  # the only part that stalls the loop
            future = self._executor.submit(self._commit, info, new_best, write_later)
            self._pending = (name, future)
        self._last_save = time.monotonic()
        return info

    def _commit(self, info: CheckpointInfo, new_best: dict | None, write_state) -> None:
        publish(self.storage, info, write_state)
        with self._lock:
            self._infos[info.name] = info
        if new_best is not None:
            self.storage.write_record(BEST_RECORD, json.dumps(new_best).encode())
        self._delete_unkept()

    def _delete_unkept(self) -> None:
        monitor = self.policy.monitor
        with self._lock:
            candidates = [
                (i.name, i.step, i.metrics.get(monitor) if monitor else None)
                for i in self._infos.values()
            ]
        keep = self.policy.to_keep(candidates)
        if self.policy.keep_best and self._best:
            keep.add(self._best["name"])  # the record's checkpoint, whatever min_delta decided
        for name, _, _ in candidates:
            if name not in keep:
                self.storage.delete_checkpoint(name)
                with self._lock:
                    self._infos.pop(name, None)

    def wait(self) -> None:
        """Block until a background save has committed; raise if it failed."""
        if self._pending is None:
            return
        (name, future), self._pending = self._pending, None
        try:
            future.result()
        except Exception as error:
            self._best = self._read_best()  # forget a best that never landed
            raise CheckpointSaveError(f"the background save of {name} failed: {error}") from error

    def close(self) -> None:
        """Finish any background save and stop the background thread."""
        try:
            self.wait()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)

    # --------------------------------------------------------------- restoring
    def restore(self, name: str) -> CheckpointInfo:
        """Verify and restore one checkpoint; raises CorruptCheckpointError if it is damaged."""
        self.wait()
        with self.storage.open_checkpoint(name) as folder:
            manifest = verify(folder, name)
            check_counters(folder / STATE_PREFIX, manifest, name)
            self.state.read(folder / STATE_PREFIX)
        return CheckpointInfo.from_manifest(name, manifest)

    def restore_latest(self) -> CheckpointInfo | None:
        """Restore the newest valid checkpoint (skipping damaged ones); None if there is none."""
        self.wait()
        candidates = self.checkpoints()
        tf_errors = tensorflow().errors
        for info in reversed(candidates):
            try:
                return self.restore(info.name)
            except (
                CorruptCheckpointError,
                FileNotFoundError,
                tf_errors.OpError,
            ) as error:
                warnings.warn(
                    f"checkpoint {info.name} is unusable ({error}); trying an older one",
                    stacklevel=2,
                )
        if candidates:
            raise CorruptCheckpointError(
                f"none of the {len(candidates)} checkpoints in {self.storage!r} could be restored"
            )
        return None

    def restore_best(self) -> CheckpointInfo:
        """Restore the checkpoint named by the best-so-far record."""
        if not self._best:
            raise ValueError("no best checkpoint yet: set CheckpointPolicy(monitor=...) and save")
        name = self._best["name"]
        if name not in self._infos:
            raise FileNotFoundError(
                f"the best checkpoint {name} is no longer stored; use keep_best >= 1 to keep it"
            )
        return self.restore(name)
