"""One worker of a ``MultiWorkerMirroredStrategy`` run (notebook 06); started by ``WorkerLauncher``.

    TF_CONFIG=... python -m course_utils.distribution.worker_main --out runs/demo

Every worker builds the same seeded data and a tiny MLP, joins the cluster described by
``TF_CONFIG``, trains with ``DistributedTrainer`` and writes its final weights to
``<out>/worker-<index>.npz``. With ``--checkpoint-dir`` it also saves a ``tf.train.Checkpoint``:
every worker calls ``save``, only the chief's files land in that folder. With ``--then-fit`` it
then tries Keras ``fit`` under the same strategy and prints ``KERAS-FIT:`` and how that ended
(Keras 3 ``fit`` fails under this strategy, keras-team/keras#20585).

Notebook 06's timeout experiment uses more options: ``--collective-timeout S`` passes
``CommunicationOptions(timeout_seconds=S)`` to the strategy, ``--tf-logs`` leaves TensorFlow's own
log lines on stderr while the cluster forms (run it with ``TF_CPP_MIN_LOG_LEVEL=0``),
``--late-worker I --late-by S`` makes worker ``I`` join the cluster ``S`` seconds after worker 0
started waiting for it, and ``--stall-worker I --stall-after-steps N`` makes worker ``I`` stop
taking part after ``N`` steps while staying alive (it sleeps until the launcher ends it), as a
stuck worker would. ``--nice N`` lowers the worker's priority (background runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import shutil
import sys
import threading
import time

import numpy as np

from course_utils._tf import keras, stderr_silenced, tensorflow
from course_utils.distribution.demo import build_model, make_data
from course_utils.distribution.launch import PARENT_PID_VARIABLE
from course_utils.distribution.ports import PortInUseError, port_in_use, port_in_use_message
from course_utils.distribution.strategy import DistributedTrainer, checkpoint_dir_for, is_chief
from course_utils.notebook import collect_garbage_rarely

# The demo task lives in the library (demo.py); notebook 06 imports it from here too.
__all__ = ["FIT_MARKER", "build_model", "exit_when_orphaned", "make_data", "main"]

# A worker run with --then-fit prints this, then how Keras fit ended ("ok" or the error).
FIT_MARKER = "KERAS-FIT:"


def main(argv: list[str] | None = None) -> int:
    collect_garbage_rarely()  # before TensorFlow loads: about 0.3 s less CPU per worker
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for worker-<index>.npz")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--global-batch", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument(
        "--then-fit", action="store_true", help="then try Keras fit (it fails, keras#20585)"
    )
    parser.add_argument("--collective-timeout", type=float, default=None, help="seconds")
    parser.add_argument("--tf-logs", action="store_true", help="keep TF's stderr lines")
    parser.add_argument("--stall-worker", type=int, default=None)
    parser.add_argument("--stall-after-steps", type=int, default=None)
    parser.add_argument("--late-worker", type=int, default=None, help="joins after --late-by s")
    parser.add_argument("--late-by", type=float, default=0.0, help="seconds after worker 0 waits")
    parser.add_argument("--nice", type=int, default=0, help="lower this process's priority")
    args = parser.parse_args(argv)
    exit_when_orphaned()  # a restarted notebook kernel leaves no worker behind
    if args.nice > 0:  # a notebook's kernel next to background workers stays responsive
        _lower_priority(args.nice)

    index = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {}).get("index", 0)
    tf = tensorflow()
    k = keras()
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=args.collective_timeout  # None: collectives wait without a bound
    )
    quiet = contextlib.nullcontext() if args.tf_logs else stderr_silenced()
    if index == args.late_worker:
        _join_late(args.late_by)
    try:
        with quiet:  # the runtime's CUDA probing writes to fd 2; keep logs readable
            # Must come before any other TensorFlow op: it configures the collective ops.
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except tf.errors.UnknownError as error:
        if "gRPC server" not in str(error):
            raise
        raise _server_error(index) from error
    trainer = DistributedTrainer(
        strategy,
        build_model,
        lambda: k.optimizers.SGD(args.learning_rate),
        k.losses.BinaryCrossentropy(from_logits=True),
        args.global_batch,
    )
    print("WORKER-READY", flush=True)  # variables were broadcast: every worker has joined
    x, y = make_data()
    losses = []
    for step, batch in enumerate(trainer.distribute(x, y, epochs=args.epochs)):  # = trainer.fit
        if index == args.stall_worker and step == args.stall_after_steps:
            print(f"stalling after {step} steps", flush=True)
            time.sleep(3600)  # alive (its heartbeats go on) but no longer in the all-reduce
        started = time.monotonic()
        try:
            losses.append(trainer.train_step(batch))
        except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError) as error:
            elapsed = time.monotonic() - started
            print(f"step {step} failed after {elapsed:.1f} s: {type(error).__name__}", flush=True)
            sys.stderr.flush()
            # Leave at once: a normal exit makes TensorFlow's shutdown wait for the peer too.
            os._exit(1)
    print(
        f"steps {len(losses)}, first loss {losses[0]:.4f}, last loss {losses[-1]:.4f}", flush=True
    )

    if args.checkpoint_dir:
        checkpoint = tf.train.Checkpoint(model=trainer.model, optimizer=trainer.optimizer)
        directory = checkpoint_dir_for(strategy, args.checkpoint_dir)
        checkpoint.write(os.path.join(directory, "ckpt"))  # every worker must call it
        if not is_chief(strategy):
            shutil.rmtree(directory, ignore_errors=True)
        print(f"checkpoint: chief={is_chief(strategy)}", flush=True)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = {f"w{i}": w for i, w in enumerate(trainer.weights())}
    np.savez(out / f"worker-{index}.npz", **weights)  # type: ignore[arg-type]  # numpy stubs
    print(f"wrote worker-{index}.npz", flush=True)
    if args.then_fit:  # shown in notebook 06: Keras 3 fit under this strategy raises
        print(f"{FIT_MARKER} {_try_fit(trainer, x, y, args.global_batch)}", flush=True)
    return 0


def exit_when_orphaned(poll_seconds: float = 1.0) -> threading.Thread:
    """End this process (exit code 3) as soon as the process that started it is gone.

    The launcher starts each worker in a session of its own, so that it can end the worker and
    its children together; but then a notebook kernel that is restarted or killed (or a test run
    interrupted) does not take its workers with it, and a stalled or blocked worker would sit in
    memory for an hour. A daemon thread checks the parent every ``poll_seconds``: the launcher's
    process id comes in ``PARENT_PID_VARIABLE`` (the parent may be gone before TensorFlow is
    even imported here), else the parent is the one this process has now.
    """
    parent = int(os.environ.get(PARENT_PID_VARIABLE, os.getppid()))

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(3)  # TensorFlow may be blocked in C++: no clean shutdown to wait for

    watcher = threading.Thread(target=watch, name="exit-when-orphaned", daemon=True)
    watcher.start()
    return watcher


def _try_fit(trainer: DistributedTrainer, x: np.ndarray, y: np.ndarray, batch: int) -> str:
    """Train one epoch with Keras ``fit`` under the same strategy; say how it ended."""
    k = keras()
    trainer.model.compile(
        optimizer=trainer.optimizer, loss=k.losses.BinaryCrossentropy(from_logits=True)
    )
    try:
        trainer.model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    except Exception as error:  # every worker fails the same way, before any collective
        last = str(error).strip().splitlines()[-1]
        return f"{type(error).__name__}: ...{last[-100:]}"
    return "ok"


def _lower_priority(nice: int) -> None:
    """Add ``nice`` to this process's nice value, and to its Linux autogroup's.

    The launcher starts each worker in a new session, and Linux (with autogroups, the default on
    desktops) schedules every session as one group: a nice value alone only ranks the threads
    inside that group, so the group's own value is raised too (allowed without privileges).
    """
    os.nice(nice)
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(nice))
    except OSError:  # not Linux, or autogroups disabled
        pass


def _join_late(seconds: float, *, give_up: float = 120.0) -> None:
    """Wait until worker 0 listens (it is then waiting for its peers), then ``seconds`` more."""
    address = json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"][0]
    port = int(address.rpartition(":")[2])
    deadline = time.monotonic() + give_up
    while not port_in_use(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"worker 0 is waiting for its peers: joining in {seconds:g} s", flush=True)
    time.sleep(seconds)


def _server_error(index: int) -> OSError:
    """TensorFlow's "UnknownError: Could not start gRPC server", with this worker's port."""
    try:
        address = json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"][index]
        port = int(address.rpartition(":")[2])
    except (KeyError, IndexError, TypeError, ValueError):
        return OSError(f"TensorFlow could not start worker {index}'s gRPC server (see TF_CONFIG)")
    if port_in_use(port):
        return PortInUseError(port_in_use_message(port, index, address))
    return OSError(
        f"TensorFlow could not start worker {index}'s gRPC server on port {port} ({address} in "
        "TF_CONFIG); the port looks free now: it may have been taken for a moment, or be "
        "reserved on this machine"
    )


if __name__ == "__main__":
    sys.exit(main())
