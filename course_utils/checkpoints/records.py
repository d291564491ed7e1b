"""What a checkpoint store holds: published checkpoints, their listing and the best record.

``CheckpointManager`` (``manager.py``) makes the decisions; this module publishes a checkpoint
(state files plus manifest, atomically through ``Storage``) and reads back what is stored: one
``CheckpointInfo`` per committed manifest, the best-so-far record (``best.json``, repaired after
a crash), and the saved counters checked against the manifest. Taught in notebook 01.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

from course_utils._tf import tensorflow
from course_utils.checkpoints.manifest import (
    MANIFEST,
    CorruptCheckpointError,
    read_manifest,
    write_manifest,
)
from course_utils.checkpoints.policy import CheckpointPolicy
from course_utils.checkpoints.storage import Storage, check_key

__all__ = [
    "BEST_RECORD",
    "STATE_PREFIX",
    "CheckpointInfo",
    "best_record",
    "check_counters",
    "check_prefix",
    "publish",
    "read_best",
    "read_infos",
]

BEST_RECORD = "best.json"
STATE_PREFIX = "state"  # the tf.train.Checkpoint files inside a checkpoint: state.index, ...


@dataclasses.dataclass(frozen=True)
class CheckpointInfo:
    """What the manager knows about one committed checkpoint (read from its manifest)."""

    name: str
    step: int
    epoch: int
    metrics: dict[str, float]
    reason: str

    @classmethod
    def from_manifest(cls, name: str, manifest: dict) -> CheckpointInfo:
        return cls(
            name, manifest["step"], manifest["epoch"], manifest["metrics"], manifest["reason"]
        )


def read_infos(storage: Storage, prefix: str) -> dict[str, CheckpointInfo]:
    """The committed checkpoints named ``<prefix>-...``; unreadable ones are skipped, warned."""
    infos = {}
    for name in storage.list_checkpoints():
        if not name.startswith(f"{prefix}-"):
            continue
        try:
            manifest = read_manifest(storage.read_file(name, MANIFEST), name)
        except (CorruptCheckpointError, FileNotFoundError) as error:
            warnings.warn(f"skipping checkpoint {name}: {error}", stacklevel=4)
            continue
        infos[name] = CheckpointInfo.from_manifest(name, manifest)
    return infos


def read_best(
    storage: Storage, policy: CheckpointPolicy, checkpoints: list[CheckpointInfo]
) -> dict | None:
    """The stored best record, reconciled with the committed checkpoints' metrics.

    A crash between committing a better checkpoint and rewriting ``best.json`` leaves a stale
    record; replaying the policy over the manifests (oldest first) repairs it.
    """
    record = storage.read_record(BEST_RECORD)
    try:
        best = json.loads(record) if record else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        warnings.warn(f"ignoring an unreadable {BEST_RECORD} ({error})", stacklevel=4)
        best = None
    monitor = policy.monitor
    if not monitor:
        return best
    repaired = best if best and best.get("monitor") == monitor else None
    for info in checkpoints:
        value = info.metrics.get(monitor)
        if value is not None and policy.is_improvement(
            value, repaired["value"] if repaired else None
        ):
            repaired = best_record(info.name, info.step, monitor, value)
    if repaired != best and repaired is not None:
        storage.write_record(BEST_RECORD, json.dumps(repaired).encode())
    return repaired


def check_counters(prefix, manifest: dict, name: str) -> None:
    """Raise ``CorruptCheckpointError`` unless the saved step and epoch are the manifest's.

    Read from the files without restoring anything, so a mismatch leaves the state untouched.
    """
    reader = tensorflow().train.load_checkpoint(str(prefix))
    for counter in ("step", "epoch"):
        saved = int(reader.get_tensor(f"{counter}/.ATTRIBUTES/VARIABLE_VALUE"))
        if saved != manifest[counter]:
            raise CorruptCheckpointError(
                f"{name}: its state holds {counter} {saved}, its {MANIFEST} says "
                f"{manifest[counter]} (the manifest does not describe these files)"
            )


def best_record(name: str, step: int, monitor: str, value: float) -> dict:
    """The best-so-far record stored as ``best.json``."""
    return {"name": name, "step": step, "monitor": monitor, "value": value}


def check_prefix(prefix: str) -> str:
    """``prefix`` if the names ``<prefix>-<step>`` are valid single-part storage keys."""
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str, got {type(prefix).__name__} {prefix!r}")
    try:
        if "/" in prefix:
            raise ValueError("it contains '/'")
        check_key(f"{prefix}-{0:010d}")
    except ValueError as error:
        raise ValueError(
            f"prefix {prefix[:40]!r} cannot name checkpoints ({error}); use a short name of "
            "letters, digits, '.', '_' and '-' such as 'ckpt'"
        ) from None
    return prefix


def publish(storage: Storage, info: CheckpointInfo, write_state) -> None:
    """Write the state (``write_state(prefix)``) and its manifest, then publish them atomically.

    ``storage.seal`` hashes (and, if the storage compresses, encodes) the freshly written files
    while flushing them; the manifest records what it returns.
    """
    with storage.staging_dir() as staging:
        write_state(staging / STATE_PREFIX)
        entries = storage.seal(staging)
        write_manifest(staging, entries=entries, **dataclasses.asdict(info))
        storage.write_checkpoint(info.name, staging)
