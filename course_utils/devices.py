"""Logical devices: several "replicas" on one CPU, so the distribution notebook runs on a laptop."""

from __future__ import annotations

from course_utils._tf import tensorflow
from course_utils.validation import check_positive_int

__all__ = ["split_cpu"]


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
