"""The compression trade-off: bytes on disk against save and restore time, off vs zstd levels.

``compression_tradeoff(state_or_model)`` saves and restores the same state through a
``CheckpointManager`` on ``LocalStorage`` once per setting (and round), and returns one
``CompressionRow`` per setting. Model weights look random to a compressor, so they barely
shrink; optimizer slots that are still zero (Adam right after ``build``) shrink to almost
nothing. Used by notebook 01 and ``benchmarks/checkpoints.py``.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import statistics
import tempfile
import time
from collections.abc import Iterable

from course_utils.checkpoints.compression import check_compression
from course_utils.checkpoints.local_storage import LocalStorage
from course_utils.checkpoints.manager import CheckpointManager
from course_utils.checkpoints.manifest import MANIFEST
from course_utils.checkpoints.policy import CheckpointPolicy
from course_utils.checkpoints.state import ModelState
from course_utils.validation import check_bool, check_positive_int

__all__ = ["CompressionRow", "compression_tradeoff", "format_tradeoff"]


@dataclasses.dataclass(frozen=True)
class CompressionRow:
    """One setting of the trade-off: medians over the rounds."""

    setting: str  # "off" or "zstd-<level>"
    compression: str | None
    level: int | None
    raw_bytes: int  # the state files as TensorFlow writes them (the manifest left out)
    stored_bytes: int  # the same files as stored on disk
    save_seconds: float  # CheckpointManager.save: write, checksum, compress, fsync, publish
    restore_seconds: float  # CheckpointManager.restore: verify, decompress, read

    @property
    def ratio(self) -> float:
        """Stored bytes / raw bytes (1.0: no gain)."""
        return self.stored_bytes / self.raw_bytes


def _as_state(state_or_model) -> ModelState:
    if isinstance(state_or_model, ModelState):
        return state_or_model
    import keras

    if isinstance(state_or_model, keras.Model):
        return ModelState(state_or_model)
    raise TypeError(
        f"state_or_model must be a ModelState or a keras.Model, got {type(state_or_model).__name__}"
    )


def _measure(state: ModelState, root: pathlib.Path, compression, level, durable) -> tuple:
    storage = LocalStorage(root, durable=durable, compression=compression, level=level)
    manager = CheckpointManager(state, storage, CheckpointPolicy(keep_latest=1))
    start = time.perf_counter()
    info = manager.save(reason="tradeoff")
    saved = time.perf_counter() - start
    start = time.perf_counter()
    manager.restore(info.name)
    restored = time.perf_counter() - start
    manager.close()
    manifest = json.loads(storage.read_file(info.name, MANIFEST))
    entries = manifest["files"].values()
    raw = sum(entry["bytes"] for entry in entries)
    stored = sum(entry.get("stored", entry)["bytes"] for entry in entries)
    return raw, stored, saved, restored


def compression_tradeoff(
    state_or_model,
    levels: Iterable[int] = (1, 3),
    *,
    rounds: int = 1,
    durable: bool = True,
    warmup: bool = True,
    folder: str | pathlib.Path | None = None,
) -> list[CompressionRow]:
    """Save and restore ``state_or_model`` without compression, then with zstd at each level.

    Returns one ``CompressionRow`` per setting ("off" first). ``rounds`` repeats each
    measurement (medians are reported; settings alternate within a round so that a change in
    the machine's load hits them alike). ``warmup`` runs one untimed round first: the first save
    of a state builds TensorFlow's save functions and zstd's threads, a one-time cost that would
    otherwise land on whichever setting runs first. Files go to a temporary folder under
    ``folder`` (default: the system's), removed afterwards. The state's values are written back
    unchanged.
    """
    state = _as_state(state_or_model)
    settings: list[tuple[str | None, int | None]] = [(None, None)]
    for wanted in levels:
        settings.append(check_compression("zstd", wanted))
    repeats = check_positive_int("rounds", rounds)
    durable = check_bool("durable", durable)
    warmup = check_bool("warmup", warmup)
    samples: dict[int, list[tuple]] = {index: [] for index in range(len(settings))}
    with tempfile.TemporaryDirectory(prefix="ckpt-tradeoff-", dir=folder) as scratch:
        for round_index in range(-1 if warmup else 0, repeats):
            for index, (compression, level) in enumerate(settings):
                root = pathlib.Path(scratch) / f"{index}-{round_index}"
                sample = _measure(state, root, compression, level, durable)
                if round_index >= 0:
                    samples[index].append(sample)
    rows = []
    for index, (compression, level) in enumerate(settings):
        raw, stored, *_ = samples[index][0]
        rows.append(
            CompressionRow(
                setting="off" if compression is None else f"{compression}-{level}",
                compression=compression,
                level=level,
                raw_bytes=raw,
                stored_bytes=stored,
                save_seconds=statistics.median(s[2] for s in samples[index]),
                restore_seconds=statistics.median(s[3] for s in samples[index]),
            )
        )
    return rows


def format_tradeoff(rows: list[CompressionRow]) -> str:
    """The rows as a small text table (MB on disk, ratio, save and restore in ms)."""
    lines = [f"{'setting':10s} {'on disk':>10s} {'ratio':>6s} {'save':>10s} {'restore':>10s}"]
    for row in rows:
        lines.append(
            f"{row.setting:10s} {row.stored_bytes / 1e6:7.2f} MB {row.ratio:6.2f} "
            f"{row.save_seconds * 1e3:7.1f} ms {row.restore_seconds * 1e3:7.1f} ms"
        )
    return "\n".join(lines)
