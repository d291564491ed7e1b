"""Device choice for notebook 06: one kind of device for every run (``course_utils.devices``).

The TensorFlow side (GPUs hidden, TF32 off, 4 logical CPUs) is checked in a fresh process by
``test_strategy.py``; here the decision itself, which a CPU-only machine can test for any GPU count.
"""

from __future__ import annotations

import pytest

from course_utils.devices import device_kind_for


@pytest.mark.parametrize(
    ("max_replicas", "gpus", "kind"),
    [
        (4, 0, "CPU"),  # a laptop
        (4, 1, "CPU"),  # one GPU: not the GPU for 1 replica and CPUs for 2 and 4
        (4, 2, "CPU"),
        (4, 4, "GPU"),
        (4, 8, "GPU"),
        (1, 1, "GPU"),
        (2, 1, "CPU"),
    ],
)
def test_gpus_only_when_every_replica_count_fits_on_them(max_replicas, gpus, kind):
    assert device_kind_for(max_replicas, gpus) == kind


@pytest.mark.parametrize(
    ("max_replicas", "gpus", "error", "message"),
    [
        (0, 1, ValueError, "max_replicas must be >= 1, got 0"),
        (4, -1, ValueError, "gpus must be"),
        (4.0, 1, TypeError, "max_replicas must be an int"),
        (4, "1", TypeError, "gpus must be an int"),
    ],
)
def test_bad_arguments_name_the_argument(max_replicas, gpus, error, message):
    with pytest.raises(error, match=message):
        device_kind_for(max_replicas, gpus)
