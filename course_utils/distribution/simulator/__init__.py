"""The distributed-training concept simulator of notebook 07, in one import.

The lecture's code problem, in Python threads: a ``DataPartitioner`` splits the batches, a
``CentralServer`` broadcasts the model version, every ``Worker`` processes its batches in its own
thread and acknowledges, and the server aggregates, updates and increments the version.
On top of the lecture's concept mode (work is a sleep) there is a real mode (logistic-regression
gradients with NumPy), stragglers, asynchronous updates (``ParameterServer``), faults and their
recovery, and an event log for tracing every step.

The classes live in one small module each (partitioner, server, worker, parameter_server,
work, events, results, measure, plots); import them from here or from
``course_utils.distribution``::

    from course_utils.distribution.simulator import CentralServer, SimulatedWork
"""

from __future__ import annotations

from course_utils.distribution.simulator.events import (
    EventLog,
    SimulationEvent,
    Span,
    barrier_spans,
    failed_spans,
    worker_spans,
)
from course_utils.distribution.simulator.measure import (
    measure_coordination_overhead,
    measure_thread_speedup,
    simulate_schedule,
)
from course_utils.distribution.simulator.parameter_server import ParameterServer
from course_utils.distribution.simulator.partitioner import DataPartitioner
from course_utils.distribution.simulator.plots import plot_gantt, plot_schedule
from course_utils.distribution.simulator.results import (
    RoundRecord,
    SimulationResult,
    UpdateRecord,
)
from course_utils.distribution.simulator.server import CentralServer
from course_utils.distribution.simulator.work import (
    Ack,
    LogisticGradientWork,
    SimulatedWork,
    Task,
    full_batch_gradient_descent,
    logistic_gradient,
    make_logistic_data,
    numpy_logistic_loss,
)
from course_utils.distribution.simulator.worker import Fault, Worker, WorkerFailure

__all__ = [
    "Ack",
    "CentralServer",
    "DataPartitioner",
    "EventLog",
    "Fault",
    "LogisticGradientWork",
    "ParameterServer",
    "RoundRecord",
    "SimulationEvent",
    "SimulationResult",
    "SimulatedWork",
    "Span",
    "Task",
    "UpdateRecord",
    "Worker",
    "WorkerFailure",
    "barrier_spans",
    "failed_spans",
    "full_batch_gradient_descent",
    "logistic_gradient",
    "numpy_logistic_loss",
    "make_logistic_data",
    "measure_coordination_overhead",
    "measure_thread_speedup",
    "plot_gantt",
    "plot_schedule",
    "simulate_schedule",
    "worker_spans",
]
