"""Distribution Strategy: one model trained over several devices or machines (notebooks 06, 07).

- ``strategy``: ``make_strategy`` (MirroredStrategy over GPUs, else logical CPUs made by
  ``split_cpu``), ``DistributedTrainer`` (the custom training loop), ``RoundTrace``, chief helpers.
- ``experiments``: ``measure_throughput`` and ``replica_experiment`` (notebook 06's widget).
- ``demo``: the seeded data and tiny MLP every process of notebook 06 trains (and the same MLP
  with BatchNormalization, ``build_bn_model``).
- ``launch``: ``WorkerLauncher`` starts ``MultiWorkerMirroredStrategy`` workers with ``TF_CONFIG``.
- ``ports``: free ports, ``port_in_use`` / ``PortInUseError``, ``listening_addresses``.
- ``worker_main``: the worker script the launcher runs in notebook 06 (collective timeouts, a
  stalled peer on request).
- ``parallel``: independent tasks in a process pool, a failed one retried alone (notebook 06's
  contrast with a distribution strategy); ``synchronised``: the other side, bytes all-reduced
  per step and a replica that fails inside the step.
- ``parameter_server``: ``tf.distribute.ParameterServerStrategy`` as an in-process cluster, the
  real engine behind the simulator's ``CentralServer`` (notebook 07).
- ``simulator``: the concept simulator of notebook 07 (``DataPartitioner``, ``CentralServer``,
  ``Worker``, ``ParameterServer``, ...), one module per class.

Importing this package does not import TensorFlow: the modules import it when first used.
"""

from __future__ import annotations

from course_utils.distribution.experiments import measure_throughput, replica_experiment
from course_utils.distribution.launch import (
    WorkerFailedError,
    WorkerLauncher,
    WorkerTimeoutError,
    tf_config,
)
from course_utils.distribution.ports import (
    PortInUseError,
    free_ports,
    listening_addresses,
    port_in_use,
)
from course_utils.distribution.simulator import (
    Ack,
    CentralServer,
    DataPartitioner,
    Fault,
    LogisticGradientWork,
    ParameterServer,
    SimulatedWork,
    Task,
    Worker,
    WorkerFailure,
)
from course_utils.distribution.strategy import (
    DistributedTrainer,
    RoundTrace,
    checkpoint_dir_for,
    is_chief,
    make_strategy,
    split_cpu,
)

__all__ = [
    "Ack",
    "CentralServer",
    "DataPartitioner",
    "DistributedTrainer",
    "Fault",
    "LogisticGradientWork",
    "ParameterServer",
    "PortInUseError",
    "RoundTrace",
    "SimulatedWork",
    "Task",
    "Worker",
    "WorkerFailedError",
    "WorkerFailure",
    "WorkerLauncher",
    "WorkerTimeoutError",
    "checkpoint_dir_for",
    "free_ports",
    "is_chief",
    "listening_addresses",
    "make_strategy",
    "measure_throughput",
    "port_in_use",
    "replica_experiment",
    "split_cpu",
    "tf_config",
]
