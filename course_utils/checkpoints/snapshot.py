"""Snapshot a ``tf.train.Checkpoint`` now, write it later: the core of async saving.

TensorFlow's own async option (``tf.train.CheckpointOptions(enable_async=True)``) fails on the
second save of a Keras 3 model (``ValueError: tf.function only supports singleton tf.Variables
created on the first call``), so the course does what Orbax and PyTorch's distributed checkpoint
do: capture the values on the training thread, write them on another.

Capturing is cheap: ``tf.identity`` of a variable shares its buffer, and TensorFlow copies the
buffer before the next in-place update (copy-on-write), so the snapshot keeps the old values.
The snapshot reuses the checkpoint's own serialisation (keys and object graph), so the files are
an ordinary ``tf.train.Checkpoint`` that ``ModelState.read`` restores. That needs TensorFlow's
private API, kept in ``_tf_compat.py``; without it, the public fallback below writes the same
files. Taught in notebook 01 (async saving).
"""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Callable

from course_utils._tf import tensorflow
from course_utils.checkpoints._tf_compat import capture

__all__ = ["snapshot"]


def snapshot(checkpoint) -> Callable[[str | pathlib.Path], None]:
    """Capture ``checkpoint``'s values now; return ``write(prefix)`` to write them later.

    ``write`` may run on any thread, once. Uses TensorFlow internals (``_tf_compat``); if they
    are missing or have changed, falls back to serialising into TensorFlow's in-memory file
    system (slower capture, the same checkpoint).
    """
    write = capture(checkpoint)
    return write if write is not None else _ram_snapshot(checkpoint)


def _ram_snapshot(checkpoint) -> Callable[[str | pathlib.Path], None]:
    """Fallback: serialise into ``ram://`` now (slower), copy to disk later."""
    tf = tensorflow()
    folder = f"ram://course-utils-snapshots/{uuid.uuid4().hex}"
    checkpoint.write(f"{folder}/state")

    def write(prefix: str | pathlib.Path) -> None:
        target = pathlib.Path(prefix)
        for filename in tf.io.gfile.listdir(folder):
            suffix = filename[len("state") :]
            with tf.io.gfile.GFile(f"{folder}/{filename}", "rb") as source:
                target.with_name(target.name + suffix).write_bytes(source.read())
            tf.io.gfile.remove(f"{folder}/{filename}")

    return write
