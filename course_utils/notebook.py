"""One call at the top of every notebook: quiet TensorFlow, seed everything, split the CPU.

Every notebook of the course starts with::

    from course_utils.notebook import setup
    info = setup(seed=42)

``setup`` must run before anything else imports TensorFlow: it is the call that imports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator

__all__ = ["SetupInfo", "setup", "quiet_tensorflow_import", "stderr_silenced"]


@dataclasses.dataclass(frozen=True)
class SetupInfo:
    """What ``setup`` configured; printed so that a student can see it."""

    seed: int
    deterministic: bool
    tensorflow_version: str
    keras_version: str
    devices: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"TensorFlow {self.tensorflow_version}, Keras {self.keras_version}; "
            f"seed {self.seed}; op determinism {'on' if self.deterministic else 'off'}; "
            f"devices: {', '.join(self.devices)}"
        )


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    TensorFlow's C++ runtime writes its start-up lines (oneDNN, CUDA probing) straight to
    file descriptor 2, past Python's ``sys.stderr``, so they would land in stored notebook
    outputs. ``TF_CPP_MIN_LOG_LEVEL`` alone does not catch all of them.
    """
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)


def quiet_tensorflow_import():
    """Import TensorFlow with its C++ start-up chatter silenced; return the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with stderr_silenced():
        # Keras probes the backend on first import and may log too.
        import keras  # noqa: F401
        import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    return tf


def setup(
    seed: int = 42,
    *,
    deterministic: bool = False,
    cpu_devices: int | None = None,
) -> SetupInfo:
    """Prepare a notebook (or script) to run reproducibly.

    Args:
        seed: seeds Python's ``random``, NumPy, TensorFlow and Keras
            (``keras.utils.set_random_seed``).
        deterministic: turn on TensorFlow op determinism, needed where a notebook claims
            bitwise equality (notebook 01's resumed run).
        cpu_devices: split the CPU into this many logical devices, so that
            ``tf.distribute.MirroredStrategy`` has several replicas on a laptop (notebook 06).
            Must happen before TensorFlow runs any op.

    Returns:
        A ``SetupInfo`` describing versions, seed and devices.
    """
    from course_utils.validation import check_int

    seed = check_int("seed", seed, minimum=0)
    tf = quiet_tensorflow_import()
    import keras

    # The first device query wakes the runtime, which probes for CUDA on fd 2: keep it quiet.
    with stderr_silenced():
        if cpu_devices is not None:
            from course_utils.devices import split_cpu

            split_cpu(cpu_devices)
        keras.utils.set_random_seed(seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        devices = tuple(device.name for device in tf.config.list_logical_devices())
    return SetupInfo(
        seed=seed,
        deterministic=deterministic,
        tensorflow_version=tf.__version__,
        keras_version=keras.__version__,
        devices=devices,
    )
