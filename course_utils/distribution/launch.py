"""Start ``MultiWorkerMirroredStrategy`` workers as processes, bounded in time (notebook 06).

Each worker is a Python process with its own ``TF_CONFIG`` (the cluster's host list and its own
index). ``WorkerLauncher`` picks free ports and writes 127.0.0.1 addresses into ``TF_CONFIG`` (or
takes a host list for several machines, starting only the indices that belong to this machine),
streams every worker's output with a ``[worker i]`` prefix, and ends the run after ``timeout``
seconds. TensorFlow itself waits forever for a worker that never starts; the launcher turns that
into a ``WorkerTimeoutError`` naming the workers that never joined. A port that is already in use
is refused before any worker starts (``PortInUseError``, naming it), instead of TensorFlow's
``UnknownError: Could not start gRPC server``.

.. warning::
   ``127.0.0.1`` in ``TF_CONFIG`` only tells the workers where to *connect*. TensorFlow's gRPC
   server *listens* on every interface (``[::]:<port>``, see ``listening_addresses``), without
   authentication: while the workers run, any machine that can reach this one can connect to
   them. Run multi-worker jobs on a private network or behind a firewall that admits only the
   cluster's machines (notebook 06 shows the listening address).

Every process group the launcher created is gone when ``run`` or ``wait`` returns or raises: a
worker's children are ended with it, also when the worker itself has already exited (crashed).
It signals only the process groups it created. POSIX only (it relies on process groups).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import cast

from course_utils.distribution.ports import (
    PortInUseError,
    free_ports,
    listening_addresses,
    port_in_use,
    port_in_use_message,
)
from course_utils.distribution.processes import (
    exit_code,
    exited_unreaped,
    group_exists,
    signal_group,
)
from course_utils.validation import check_int, check_positive_int

__all__ = [
    "PARENT_PID_VARIABLE",
    "READY_MARKER",
    "PortInUseError",
    "WorkerLauncher",
    "WorkerFailedError",
    "WorkerTimeoutError",
    "port_in_use",
    "free_ports",
    "tf_config",
    "listening_addresses",
]

# A worker prints this line once the cluster has formed (its first collective op returned).
READY_MARKER = "WORKER-READY"
# The launcher's process id, for the worker to end itself once the launcher is gone.
PARENT_PID_VARIABLE = "COURSE_LAUNCHER_PID"


class WorkerTimeoutError(TimeoutError):
    """The workers did not finish in time; the message says which never joined the cluster."""


class WorkerFailedError(RuntimeError):
    """A worker exited with a non-zero code; the others were stopped."""


def tf_config(hosts: Sequence[str], index: int) -> str:
    """The ``TF_CONFIG`` JSON for worker ``index`` of a cluster of ``host:port`` addresses."""
    hosts = list(hosts)
    index = check_int("index", index)
    for address in hosts:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{address!r} is not 'host:port' (e.g. '10.0.0.5:12345')")
    if not 0 <= index < len(hosts):
        raise ValueError(f"index {index} is outside the {len(hosts)} workers of the host list")
    return json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}})


class WorkerLauncher:
    """Run ``command`` once per local worker with ``TF_CONFIG`` set (notebook 06).

    Args:
        command: the worker's argv without the interpreter, e.g.
            ``["-m", "course_utils.distribution.worker_main", "--out", "runs/a"]``; run with
            ``sys.executable``. ``{index}`` in an argument is replaced by the worker index.
        num_workers: workers on 127.0.0.1 with free ports (ignored when ``hosts`` is given).
        hosts: the cluster's ``host:port`` list, the same on every machine.
        local_indices: the indices this launcher starts (default: all). On machine B of a
            two-machine cluster, ``hosts=["a:2222", "b:2222"], local_indices=[1]``.
        log: called with each output line, prefixed ``[worker i]``; ``print`` by default.
        env: extra environment variables for every worker (e.g. ``TF_CPP_MIN_LOG_LEVEL``).

    Every output line is kept in ``lines[i]`` and the ``time.monotonic()`` it arrived at in
    ``times[i]``, so a notebook can measure how long a worker took to react to an event. When a
    worker prints ``READY_MARKER`` (its cluster has formed), ``bound[i]`` records the addresses
    its port is listening on at that moment (``listening_addresses``; empty where not visible).
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        num_workers: int = 2,
        hosts: Sequence[str] | None = None,
        local_indices: Sequence[int] | None = None,
        log: Callable[[str], None] | None = print,
        env: dict[str, str] | None = None,
    ) -> None:
        if isinstance(command, str) or not command:
            raise TypeError("command must be a non-empty list of arguments, e.g. ['-m', 'pkg.mod']")
        if hosts is None:
            num_workers = check_positive_int("num_workers", num_workers)
            hosts = [f"127.0.0.1:{port}" for port in free_ports(num_workers)]
        self.hosts = list(hosts)
        for index in range(len(self.hosts)):
            tf_config(self.hosts, index)  # validates the host list
        self.local_indices = [
            check_int("local_indices item", index)
            for index in (range(len(self.hosts)) if local_indices is None else local_indices)
        ]
        for index in self.local_indices:
            tf_config(self.hosts, index)
        self.command = list(command)
        self.log = log
        self.env = env or {}
        self.processes: dict[int, subprocess.Popen] = {}
        self.ready: set[int] = set()
        self.bound: dict[int, list[str]] = {}
        self.lines: dict[int, list[str]] = {i: [] for i in self.local_indices}
        self.times: dict[int, list[float]] = {i: [] for i in self.local_indices}
        self._threads: list[threading.Thread] = []

    def start(self) -> WorkerLauncher:
        """Start the local workers, each in its own process group, and stream their output.

        Raises ``PortInUseError`` (before starting any worker) if a local worker's port is taken.
        """
        for index in self.local_indices:
            port = int(self.hosts[index].rpartition(":")[2])
            if port_in_use(port):
                raise PortInUseError(port_in_use_message(port, index, self.hosts[index]))
        for index in self.local_indices:
            env = {**os.environ, **self.env, "TF_CONFIG": tf_config(self.hosts, index)}
            env[PARENT_PID_VARIABLE] = str(os.getpid())  # worker_main ends itself without us
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            argv = [sys.executable, *(a.replace("{index}", str(index)) for a in self.command)]
            process = subprocess.Popen(
                argv,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group: we can end it and its children
            )
            self.processes[index] = process
            thread = threading.Thread(target=self._pump, args=(index, process), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _pump(self, index: int, process: subprocess.Popen) -> None:
        for line in process.stdout or ():  # started with stdout=PIPE
            line = line.rstrip("\n")
            self.times[index].append(time.monotonic())  # before the line: readers zip the two
            self.lines[index].append(line)
            if line.strip() == READY_MARKER:
                port = int(self.hosts[index].rpartition(":")[2])
                self.bound[index] = listening_addresses(port)  # while the worker surely runs
                self.ready.add(index)
            if self.log is not None:
                self.log(f"[worker {index}] {line}")

    def wait(self, timeout: float) -> dict[int, int]:
        """Wait for every local worker; return exit codes, or stop all and raise."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                # Peek at exit codes without reaping: a worker's group id stays ours to signal.
                codes = {i: exit_code(p) for i, p in self.processes.items()}
                failed = {i: c for i, c in codes.items() if c not in (None, 0)}
                if failed:
                    self.stop()  # before reading the output: a child may hold the pipe open
                    self._join_output()
                    raise WorkerFailedError(
                        f"worker(s) {sorted(failed)} exited with code(s) {failed}; last lines:\n"
                        + "\n".join(
                            f"[worker {i}] {line}" for i in failed for line in self.lines[i][-5:]
                        )
                    )
                if all(c == 0 for c in codes.values()):
                    self.stop()  # ends anything the workers left running in their groups
                    self._join_output()
                    return cast(dict[int, int], codes)  # every code is 0 here
                time.sleep(0.05)
            raise WorkerTimeoutError(self._timeout_message(timeout))
        finally:
            self.stop()

    def _join_output(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)

    def _timeout_message(self, timeout: float) -> str:
        missing = [i for i in range(len(self.hosts)) if i not in self.ready]
        absent = [i for i in missing if i not in self.local_indices or self._exited(i)]
        waiting = [i for i in missing if i not in absent]
        parts = [f"workers did not finish within {timeout:g} s."]
        if absent:
            names = ", ".join(f"worker {i} ({self.hosts[i]})" for i in absent)
            parts.append(f"Never joined the cluster: {names}.")
        if waiting:
            names = ", ".join(f"worker {i}" for i in waiting)
            parts.append(f"Started here and still waiting for their peers: {names}.")
        if missing:
            parts.append(
                "MultiWorkerMirroredStrategy waits for every worker in TF_CONFIG: start each one "
                "(same host list, its own index) and check that its host:port is reachable."
            )
        else:
            parts.append("All workers joined: training itself took longer than the timeout.")
        return " ".join(parts)

    def _exited(self, index: int) -> bool:
        process = self.processes.get(index)
        return process is None or exit_code(process) is not None

    def stop(self, grace: float = 1.0) -> None:
        """End this launcher's process groups (SIGTERM, then SIGKILL after ``grace`` s); reap them.

        Every group is ended, also one whose worker (its leader) has already exited but left
        children behind. A TensorFlow worker blocked waiting for its peers does not exit on
        SIGTERM, hence the SIGKILL. A group is signalled only while its leader is not yet
        reaped (an exited leader stays a zombie until then), so the group id cannot have been
        reused by another program's process. Without ``os.waitid`` (not Linux) a leader that
        exited on its own is reaped when seen, and its children cannot be ended safely.
        """
        groups = [p for p in self.processes.values() if p.returncode is None]
        for process in groups:
            signal_group(process.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and not all(exited_unreaped(p.pid) for p in groups):
            time.sleep(0.05)
        for process in groups:
            signal_group(process.pid, signal.SIGKILL)  # the leader and any child left behind
        for process in groups:
            process.wait()
        # SIGKILL is delivered asynchronously: wait (briefly) until each group is empty. Signal 0
        # only asks; it delivers nothing, whoever owns the id by now.
        end = time.monotonic() + 5.0
        for process in groups:
            while group_exists(process.pid) and time.monotonic() < end:
                time.sleep(0.01)

    def run(self, timeout: float = 60.0) -> dict[int, int]:
        """``start`` then ``wait``."""
        return self.start().wait(timeout)
