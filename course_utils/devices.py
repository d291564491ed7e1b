"""Devices for the distribution notebook: several "replicas" on one CPU, one device kind per run.

Notebook 06 compares training without a strategy against 1, 2 and 4 replicas and asserts that
the weights agree within 1e-6. That holds only if every run computes on the same kind of device
with the same float32 arithmetic. ``use_one_device_kind`` (called before any other TensorFlow
code) makes it so: GPUs only when there are enough for every replica count, otherwise logical
CPU devices for everything (the GPUs are hidden), and TensorFloat-32 off.
"""

from __future__ import annotations

from course_utils._tf import stderr_silenced, tensorflow
from course_utils.validation import check_int, check_positive_int

__all__ = ["split_cpu", "device_kind_for", "use_one_device_kind"]


def split_cpu(count: int) -> list[str]:
    """Split the first physical CPU into ``count`` logical devices; return their names.

    ``tf.distribute.MirroredStrategy`` puts one replica on each logical device, so with
    ``split_cpu(4)`` a laptop without a GPU trains with four replicas (notebook 06).
    TensorFlow fixes its devices when it runs its first op, so call this first, through
    ``course_utils.notebook.setup(cpu_devices=...)``. Calling it again with the same count is
    harmless; asking for another count after TensorFlow has started raises ``RuntimeError``.
    """
    count = check_positive_int("count", count)  # the number of logical CPU devices
    tf = tensorflow()
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == count:
        return [device.name for device in tf.config.list_logical_devices("CPU")]
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError as error:
        existing = len(tf.config.list_logical_devices("CPU"))
        raise RuntimeError(
            f"Cannot split the CPU into {count} logical devices: TensorFlow has already "
            f"started with {existing}. Restart the kernel and call "
            f"course_utils.notebook.setup(cpu_devices={count}) before any other TensorFlow code."
        ) from error
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def device_kind_for(max_replicas: int, gpus: int) -> str:
    """``"GPU"`` if ``gpus`` GPUs can hold ``max_replicas`` replicas, else ``"CPU"``.

    One answer for the whole run: with one GPU and up to 4 replicas, ``"CPU"``, so that the
    run without a strategy does not compute on the GPU while the 2- and 4-replica runs fall
    back to logical CPUs (different arithmetic, and the 1e-6 comparisons would fail).
    """
    max_replicas = check_positive_int("max_replicas", max_replicas)
    gpus = check_int("gpus", gpus, minimum=0)
    return "GPU" if gpus >= max_replicas else "CPU"


def use_one_device_kind(max_replicas: int) -> str:
    """Before any other TensorFlow code: put every run of this process on one kind of device.

    Keeps the GPUs if there are at least ``max_replicas`` of them, otherwise hides them and
    splits the CPU into ``max_replicas`` logical devices. Turns TensorFloat-32 off (Ampere and
    newer GPUs otherwise multiply float32 matrices with a 10-bit mantissa, about 1e-3 relative
    error). Returns ``"GPU"`` or ``"CPU"`` (``device_kind_for``).
    """
    max_replicas = check_positive_int("max_replicas", max_replicas)
    tf = tensorflow()
    with stderr_silenced():  # listing GPUs probes for CUDA, which writes to fd 2
        gpus = tf.config.list_physical_devices("GPU")
        kind = device_kind_for(max_replicas, len(gpus))
        if kind == "CPU" and gpus:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError as error:
                raise RuntimeError(
                    "use_one_device_kind must run before any other TensorFlow code: restart "
                    "the kernel and call it first"
                ) from error
        if kind == "CPU":
            split_cpu(max_replicas)
    tf.config.experimental.enable_tensor_float_32_execution(False)
    return kind
