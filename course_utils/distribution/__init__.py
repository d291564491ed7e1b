"""Distribution Strategy: one model trained over several devices or machines (notebook 06).

- ``strategy``: ``make_strategy`` (MirroredStrategy over GPUs, else logical CPUs made by
  ``split_cpu``), ``DistributedTrainer`` (the custom training loop), ``RoundTrace``, chief helpers.
- ``launch``: ``WorkerLauncher`` starts ``MultiWorkerMirroredStrategy`` workers with ``TF_CONFIG``.
- ``ports``: free ports, ``port_in_use`` / ``PortInUseError``, ``listening_addresses``.
- ``worker_main``: the worker script the launcher runs in notebook 06.

``course_utils.distribution.simulator`` holds the notebook 07 simulator (import it directly).
"""

from __future__ import annotations

from course_utils._lazy import lazy_getattr

# Public name -> the module defining it; imported on first use so this package stays cheap.
_EXPORTS = {
    "split_cpu": "strategy",
    "make_strategy": "strategy",
    "DistributedTrainer": "strategy",
    "RoundTrace": "strategy",
    "is_chief": "strategy",
    "checkpoint_dir_for": "strategy",
    "measure_throughput": "strategy",
    "replica_experiment": "strategy",
    "WorkerLauncher": "launch",
    "WorkerFailedError": "launch",
    "WorkerTimeoutError": "launch",
    "tf_config": "launch",
    "free_ports": "ports",
    "listening_addresses": "ports",
    "port_in_use": "ports",
    "PortInUseError": "ports",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
