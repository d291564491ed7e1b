"""WorkerLauncher: MultiWorkerMirroredStrategy workers that train together, bounded in time."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from course_utils.distribution.launch import (
    PARENT_PID_VARIABLE,
    PortInUseError,
    WorkerFailedError,
    WorkerLauncher,
    WorkerTimeoutError,
    free_ports,
    listening_addresses,
    tf_config,
)
from course_utils.distribution.worker_main import FIT_MARKER
from course_utils.notebook import RARE_GC_THRESHOLDS

WORKER = ["-m", "course_utils.distribution.worker_main"]
posix_proc = pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="needs /proc")


def live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are still running (zombies excluded)."""
    members = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        stat = (pathlib.Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# A worker that starts `sleep 60` in its own process group, prints its pid, then exits.
LEAVES_A_CHILD = (
    "import subprocess, sys; child = subprocess.Popen(['sleep', '60']); "
    "print('child', child.pid, flush=True); sys.exit({code})"
)


@posix_proc
@pytest.mark.parametrize("code", [1, 0], ids=["crashed", "finished"])
def test_a_workers_children_end_with_its_group_even_after_the_worker_exited(code):
    launcher = WorkerLauncher(["-c", LEAVES_A_CHILD.format(code=code)], num_workers=1, log=None)
    start = time.monotonic()
    if code:
        with pytest.raises(WorkerFailedError, match=r"\{0: 1\}[\s\S]*\[worker 0\] child"):
            launcher.run(timeout=30)
    else:
        assert launcher.run(timeout=30) == {0: 0}
    assert time.monotonic() - start < 20  # not held up by the child's copy of the output pipe
    child = int(launcher.lines[0][0].split()[1])
    assert not running(child)
    assert live_members(launcher.processes[0].pid) == []
    assert launcher.processes[0].returncode == code  # the worker itself was reaped


def test_two_workers_train_together_and_end_with_identical_weights(tmp_path):
    lines: list[str] = []
    launcher = WorkerLauncher(
        [
            *WORKER,
            *("--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ckpt")),
            *("--then-fit", "--nice", "5"),
        ],
        num_workers=2,
        log=lines.append,
    )
    assert all(host.startswith("127.0.0.1:") for host in launcher.hosts)
    assert launcher.run(timeout=120) == {0: 0, 1: 0}
    first = np.load(tmp_path / "out" / "worker-0.npz", allow_pickle=False)
    second = np.load(tmp_path / "out" / "worker-1.npz", allow_pickle=False)
    assert sorted(first.files) == sorted(second.files) and first.files
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name])
    assert launcher.ready == {0, 1}
    assert any(line.startswith("[worker 1] steps 32") for line in lines)
    # Only the chief wrote into the checkpoint folder; the other cleaned up its scratch copy.
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "ckpt.data-00000-of-00001",
        "ckpt.index",
    ]
    assert any("chief=False" in line for line in lines)
    # --then-fit: after the custom loop, Keras fit fails on every worker (keras-team/keras#20585)
    for index in (0, 1):
        fit = [line for line in launcher.lines[index] if line.startswith(FIT_MARKER)]
        assert len(fit) == 1 and "PerReplica" in fit[0] and not fit[0].endswith(" ok"), fit
    # While each worker ran, the launcher saw its port listening (on every interface).
    if pathlib.Path("/proc/net/tcp").exists():
        port = launcher.hosts[0].rpartition(":")[2]
        assert launcher.bound[0] and all(a.endswith(f":{port}") for a in launcher.bound[0])


@posix_proc
def test_a_missing_worker_ends_in_a_clear_timeout_and_leaves_no_process(tmp_path):
    launcher = WorkerLauncher(
        [*WORKER, "--out", str(tmp_path)], num_workers=2, local_indices=[0], log=None
    )
    start = time.monotonic()
    with pytest.raises(WorkerTimeoutError) as caught:
        launcher.run(timeout=10)
    assert time.monotonic() - start < 10 + 8  # the timeout plus the stop grace, not forever
    message = str(caught.value)
    assert f"Never joined the cluster: worker 1 ({launcher.hosts[1]})" in message
    assert "still waiting for their peers: worker 0" in message
    pid = launcher.processes[0].pid
    assert launcher.processes[0].returncode is not None
    assert live_members(pid) == []
    assert not list(tmp_path.iterdir())  # no weights: it never trained


@posix_proc
def test_timeout_also_ends_the_workers_children():
    code = (
        "import subprocess, time; child = subprocess.Popen(['sleep', '60']); "
        "print('child', child.pid, flush=True); time.sleep(60)"
    )
    launcher = WorkerLauncher(["-c", code], num_workers=1, log=None)
    with pytest.raises(WorkerTimeoutError, match="did not finish within 3 s"):
        launcher.run(timeout=3)
    child = int(launcher.lines[0][0].split()[1])
    assert live_members(launcher.processes[0].pid) == []
    assert child not in live_members(launcher.processes[0].pid)


def test_a_failing_worker_stops_the_others_and_reports_its_output():
    code = (
        "import json, os, sys, time\n"
        "if json.loads(os.environ['TF_CONFIG'])['task']['index'] == 1:\n"
        "    print('boom', flush=True); sys.exit(3)\n"
        "time.sleep(60)"
    )
    launcher = WorkerLauncher(["-c", code], num_workers=2, log=None)
    start = time.monotonic()
    with pytest.raises(WorkerFailedError, match=r"\{1: 3\}[\s\S]*\[worker 1\] boom"):
        launcher.run(timeout=30)
    assert time.monotonic() - start < 15
    assert launcher.processes[0].returncode is not None  # the healthy worker was stopped too


def test_a_port_in_use_is_refused_before_any_worker_starts():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        launcher = WorkerLauncher(
            ["-c", "print('started')"], hosts=[f"127.0.0.1:{port}", "127.0.0.1:1"],
            local_indices=[0], log=None,
        )  # fmt: skip
        with pytest.raises(PortInUseError, match=f"port {port} of worker 0 .*already in use"):
            launcher.run(timeout=30)
        assert launcher.processes == {}
        # Only the local workers' ports are checked: worker 1 runs on another machine.
        remote = WorkerLauncher(
            ["-c", "print('started')"], hosts=["127.0.0.1:1", f"127.0.0.1:{port}"],
            local_indices=[0], log=None,
        )  # fmt: skip
        assert remote.run(timeout=30) == {0: 0}


def test_a_worker_whose_port_is_taken_names_it_instead_of_a_grpc_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        hosts = [f"127.0.0.1:{port}", f"127.0.0.1:{free_ports(1)[0]}"]
        env = {**os.environ, "TF_CONFIG": tf_config(hosts, 0), "TF_CPP_MIN_LOG_LEVEL": "2"}
        done = subprocess.run(
            [sys.executable, *WORKER, "--out", str(tmp_path)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("course_utils.distribution.ports.PortInUseError: port "), last
    assert f"port {port} of worker 0 (127.0.0.1:{port} in TF_CONFIG) is already in use" in last


def test_each_worker_gets_its_own_tf_config():
    code = "import os; print(os.environ['TF_CONFIG'])"
    launcher = WorkerLauncher(["-c", code], hosts=["127.0.0.1:1", "10.0.0.2:2"], log=None)
    assert launcher.run(timeout=30) == {0: 0, 1: 0}
    for index in (0, 1):
        config = json.loads(launcher.lines[index][0])
        assert config == {
            "cluster": {"worker": ["127.0.0.1:1", "10.0.0.2:2"]},
            "task": {"type": "worker", "index": index},
        }


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))


def test_listening_addresses_sees_a_listening_socket():
    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("needs Linux /proc/net")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert listening_addresses(port) == [f"127.0.0.1:{port}"]
    assert listening_addresses(port) == []


@pytest.mark.parametrize(
    ("hosts", "index", "match"),
    [
        (["localhost"], 0, "not 'host:port'"),
        (["a:1", "b:x"], 0, "not 'host:port'"),
        (["a:1"], 1, "outside the 1 workers"),
    ],
)
def test_tf_config_rejects_bad_host_lists(hosts, index, match):
    with pytest.raises(ValueError, match=match):
        tf_config(hosts, index)


def test_launcher_rejects_a_string_command_and_bad_indices():
    with pytest.raises(TypeError, match="list of arguments"):
        WorkerLauncher("python worker.py")
    with pytest.raises(ValueError, match="outside the 2 workers"):
        WorkerLauncher([sys.executable], num_workers=2, local_indices=[2])


def test_the_module_docstring_warns_that_grpc_listens_on_every_interface():
    from course_utils.distribution import launch

    text = " ".join(launch.__doc__.split())
    assert "listens* on every interface" in text and "without authentication" in text
    assert "firewall" in text


def test_a_worker_makes_the_cycle_collector_rare_before_it_imports_tensorflow(tmp_path):
    # The worker process itself, stopped where it would import TensorFlow: what are its
    # collector thresholds, and is TensorFlow loaded yet?
    probe = (
        "import gc, sys\n"
        "import course_utils.distribution.worker_main as w\n"
        "def stop():\n"
        "    print(gc.get_threshold(), 'tensorflow' in sys.modules)\n"
        "    raise SystemExit(0)\n"
        "w.tensorflow = stop\n"
        f"w.main(['--out', {str(tmp_path)!r}])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{RARE_GC_THRESHOLDS} False"


def test_each_output_line_keeps_its_arrival_time():
    code = "import time; print('a', flush=True); time.sleep(0.5); print('b', flush=True)"
    launcher = WorkerLauncher(["-c", code], num_workers=1, log=None)
    before = time.monotonic()
    assert launcher.run(timeout=30) == {0: 0}
    assert launcher.lines[0] == ["a", "b"] and len(launcher.times[0]) == 2
    first, second = launcher.times[0]
    assert before <= first and second - first >= 0.4


def _wait_for_line(launcher: WorkerLauncher, index: int, text: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while True:
        for t, line in zip(launcher.times[index], list(launcher.lines[index]), strict=False):
            if text in line:
                return t
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} from worker {index}: {launcher.lines[index][-5:]}")


TIMEOUT_WORKER = [*WORKER, "--tf-logs", "--collective-timeout", "1"]
TF_LOGS = {"TF_CPP_MIN_LOG_LEVEL": "0"}


def test_a_stalled_peer_ends_in_a_deadline_error_after_the_collective_timeout(tmp_path):
    # Worker 1 also joins late, 2 s after worker 0 started waiting: no collective runs yet, so
    # worker 0 waits past the 1 s collective timeout without an error (notebook 06's run).
    stall = ["--stall-worker", "1", "--stall-after-steps", "3", "--late-worker", "1"]
    stall += ["--late-by", "2"]
    launcher = WorkerLauncher(
        [*TIMEOUT_WORKER, "--out", str(tmp_path), *stall], num_workers=2, log=None, env=TF_LOGS
    )
    with pytest.raises(WorkerFailedError) as caught:
        launcher.run(timeout=120)
    # Worker 0 either reports the DeadlineExceededError and exits with 1, or TensorFlow's runtime
    # kills it right after the deadline, before Python can report: a race seen on a busy machine,
    # as SIGABRT (-6) and once as SIGSEGV (-11, after TensorFlow had logged the timed-out
    # collective). Either way the "Collective has timed out" line below must be there. Worker 1
    # may die too once worker 0 (the coordination leader) has gone.
    assert re.search(r"\{0: (1|-6|-11)[,}]", str(caught.value)), str(caught.value)
    stalled = _wait_for_line(launcher, 1, "stalling after 3 steps", 0)
    aborted = _wait_for_line(launcher, 0, "Collective has timed out", 0)
    assert aborted - stalled < 15.0
    waiting = _wait_for_line(launcher, 0, "Waiting for 1/2 tasks to connect", 0)
    ready = _wait_for_line(launcher, 0, "WORKER-READY", 0)
    assert ready - waiting > 1.5
    early = launcher.lines[0][: launcher.lines[0].index("WORKER-READY")]
    assert not any("DEADLINE" in line or "timed out" in line for line in early)
    assert any("joining in 2 s" in line for line in launcher.lines[1])
    reported = [line for line in launcher.lines[0] if "step 3 failed after" in line]
    if launcher.processes[0].returncode == 1:  # Python got to report it: check what and when
        assert reported and "DeadlineExceededError" in reported[0]
        waited = float(re.search(r"after ([\d.]+) s", reported[0]).group(1))  # in the worker
        assert 1.0 <= waited < 10.0
    assert launcher.processes[1].returncode is not None  # the stalled worker was ended


@posix_proc
def test_a_missing_peer_blocks_at_start_up_despite_the_collective_timeout(tmp_path):
    launcher = WorkerLauncher(
        [*TIMEOUT_WORKER, "--out", str(tmp_path)],
        num_workers=2,
        local_indices=[0],
        log=None,
        env=TF_LOGS,
    ).start()
    try:
        waiting = _wait_for_line(launcher, 0, "Waiting for 1/2 tasks to connect", 120)
        time.sleep(max(0.0, waiting + 3.0 - time.monotonic()))  # 3x the collective timeout
        assert launcher.processes[0].poll() is None
        assert launcher.ready == set()
        assert not any("DEADLINE" in line or "timed out" in line for line in launcher.lines[0])
        assert any("task:1" in line for line in launcher.lines[0])  # TF names the straggler
    finally:
        with pytest.raises(WorkerTimeoutError):
            launcher.wait(timeout=0)
    assert live_members(launcher.processes[0].pid) == []


def _running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to see the orphan end")
def test_a_worker_whose_parent_is_gone_ends_itself():
    # The parent starts a child in its own session and tells it its process id, as the launcher
    # does, then exits at once: long before the child has imported TensorFlow.
    child = (
        "import time; from course_utils.distribution.worker_main import exit_when_orphaned; "
        "exit_when_orphaned(poll_seconds=0.05); time.sleep(120)"
    )
    parent = (
        "import os, subprocess, sys; "
        f"env = {{**os.environ, {PARENT_PID_VARIABLE!r}: str(os.getpid())}}; "
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}], start_new_session=True, env=env)"
        "; print(p.pid, flush=True)"
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, timeout=60
    )
    pid = int(done.stdout.strip())
    deadline = time.monotonic() + 60  # the child imports TensorFlow before it starts watching
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = not _running(pid)
    if not ended:
        os.kill(pid, signal.SIGKILL)
    assert ended, "the orphaned worker was still running a minute after its parent exited"
