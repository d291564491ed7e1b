"""One call at the top of every notebook: quiet TensorFlow, seed everything, split the CPU.

Every notebook of the course starts with::

    from course_utils.notebook import setup
    info = setup(seed=42)

``setup`` must run before anything else imports TensorFlow: it is the call that imports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator

from course_utils._tf import keras as _keras
from course_utils._tf import stderr_silenced
from course_utils._tf import tensorflow as quiet_tensorflow_import
from course_utils.devices import split_cpu
from course_utils.validation import check_bool, check_int

__all__ = [
    "RARE_GC_THRESHOLDS",
    "SetupInfo",
    "after_tasks",
    "collect_garbage_rarely",
    "setup",
    "quiet_tensorflow_import",
    "stderr_silenced",
]

#: ``gc.set_threshold`` values of ``setup(rare_gc=True)``: a young-generation pass every 100,000
#: allocations (Python's default: 700), and full passes far apart.
RARE_GC_THRESHOLDS = (100_000, 50, 100)


def collect_garbage_rarely() -> None:
    """Make Python's cycle collector run rarely (``RARE_GC_THRESHOLDS``): before TensorFlow loads.

    TensorFlow and Keras keep about 300,000 objects alive, and each full pass of the collector
    walks all of them. ``setup(rare_gc=True)`` calls this first; a process that must import
    TensorFlow before ``setup`` (notebook 06 picks its devices first) calls it itself.
    """
    gc.set_threshold(*RARE_GC_THRESHOLDS)


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


def setup(
    seed: int = 42,
    *,
    deterministic: bool = False,
    cpu_devices: int | None = None,
    rare_gc: bool = False,
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
        rare_gc: make Python's cycle collector run rarely (``RARE_GC_THRESHOLDS``), set before
            TensorFlow is imported. TensorFlow and Keras keep about 300,000 objects alive, and
            each full pass of the collector walks all of them. Measured for notebook 01 on a
            2-core machine: with Python's defaults, importing TensorFlow ran 5 full passes (about
            0.45 s of 2.6 s of CPU) and the notebook 2 more (about 0.45 s); with this, none. The
            price: garbage reference cycles wait longer to be freed (a few tens of thousands of
            objects more in memory). Every notebook of the course turns it on: measured over all
            nine on one quiet 2-core machine, each ran 0 to 1.8 s faster and its kernel's peak
            memory stayed within 2% of what it was. Off by default.

    Returns:
        A ``SetupInfo`` describing versions, seed and devices.
    """
    seed = check_int("seed", seed, minimum=0)
    if check_bool("rare_gc", rare_gc):
        collect_garbage_rarely()  # before the import: it allocates the most
    tf = quiet_tensorflow_import()
    keras = _keras()

    # The first device query wakes the runtime, which probes for CUDA on fd 2: keep it quiet.
    with stderr_silenced():
        if cpu_devices is not None:
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


@contextlib.contextmanager
def after_tasks(*tasks: int | str) -> Iterator[None]:
    """Run a cell that only *shows* what exercises compute; until they are done, print a note.

    An assignment's demonstration cells use the students' functions. In the student release those
    raise ``NotImplementedError`` (nbgrader's stub) or do not exist yet (``NameError``); inside
    ``with after_tasks(3, 4):`` such a cell prints which tasks it waits for instead of a traceback,
    and closes the figure it had started. Any other error is a real one and propagates.
    """
    if not tasks:
        raise ValueError("after_tasks needs at least one task, e.g. after_tasks(3)")
    try:
        yield
    except (NotImplementedError, NameError) as error:
        import matplotlib.pyplot as plt  # only here: the package does not need matplotlib to import

        plt.close("all")
        names = [str(task) for task in tasks]
        if len(names) == 1:
            needed = f"Task {names[0]} is"
        else:
            needed = f"Tasks {', '.join(names[:-1])} and {names[-1]} are"
        detail = f": {error}" if str(error) else ""
        print(f"(shown once {needed} done; {type(error).__name__}{detail})")
