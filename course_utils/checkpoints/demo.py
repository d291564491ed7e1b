"""The small training run notebook 01 checkpoints, crashes and resumes.

A regression MLP with Dropout, fed by a shuffled ``tf.data`` pipeline, with Gaussian input
noise drawn from a ``tf.random.Generator``: every piece of state that an exact resume needs is
really used. Run as a script it trains in its own process, which is how the notebook kills it::

    python -m course_utils.checkpoints.demo --directory runs/a --steps 60 --every 10 \
        --weights-out runs/a/final.npz

It prints ``step <n> loss <value>`` after each step (flushed), so a parent can watch it.
``--pause-in-save STEP`` makes the save of that step stop just before its atomic rename and print
``paused <staging folder>``: a parent that kills the process then is sure to kill it mid-save.
``--standby`` imports TensorFlow and warms it up (one throwaway step and save in memory), then
waits for a line on stdin before it touches any folder: a warm spare that a parent starts early
(importing TensorFlow takes seconds) and releases later. The line holds the remaining arguments
(``shlex`` quoting), e.g. ``--directory runs/a --steps 60``; an empty line runs with those given.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shlex
import sys
import time
import warnings
from collections.abc import Iterable

import numpy as np

from course_utils._tf import keras as _keras
from course_utils._tf import tensorflow
from course_utils.checkpoints.local_storage import LocalStorage
from course_utils.notebook import setup

__all__ = [
    "PausingStorage",
    "build_trainer",
    "exit_now",
    "make_data",
    "make_regression_data",
    "main",
    "pipeline_options",
    "warm_up",
]

STEPS_PER_EPOCH = 8
BATCH_SIZE = 16


def make_regression_data(seed: int = 0, num_examples: int = STEPS_PER_EPOCH * BATCH_SIZE):
    """A noisy non-linear regression set (float32 features and targets)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_examples, 8)).astype("float32")
    targets = np.sin(features[:, :4]).sum(axis=1, keepdims=True) + 0.1 * rng.normal(
        size=(num_examples, 1)
    )
    return features, targets.astype("float32")


# Notebook 01 imports it under this name; ``course_utils.distribution.demo.make_data`` is another
# function (a classification set).
make_data = make_regression_data


def pipeline_options():
    """``tf.data`` options for a checkpointable pipeline whose saved bytes are always the same.

    tf.data injects a prefetch buffer by default; what it holds at save time depends on thread
    timing, so the iterator's checkpoint size varied from run to run. Without it, it does not.
    """
    options = tensorflow().data.Options()
    options.experimental_optimization.inject_prefetch = False
    return options


def build_trainer(
    storage,
    *,
    seed: int = 42,
    every_n_steps: int = 10,
    policy=None,
    leave_out: Iterable[str] = (),
    async_save: bool = False,
    hidden_units: int = 32,
):
    """Build model, data pipeline, ``ModelState``, ``CheckpointManager``, ``CheckpointedTrainer``.

    Everything is rebuilt from ``seed`` as a fresh process would, so calling this twice in one
    process behaves like two separate runs. ``policy`` defaults to saving every
    ``every_n_steps`` steps and keeping the latest 3.
    """
    keras = _keras()
    tf = tensorflow()

    from course_utils.checkpoints.manager import CheckpointManager
    from course_utils.checkpoints.policy import CheckpointPolicy
    from course_utils.checkpoints.state import ModelState
    from course_utils.checkpoints.trainer import CheckpointedTrainer

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(hidden_units, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(hidden_units, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    optimizer = keras.optimizers.Adam(learning_rate=3e-3)
    features, targets = make_regression_data()
    dataset = (
        tf.data.Dataset.from_tensor_slices((features, targets))
        .shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE, drop_remainder=True)
        .repeat()
        .with_options(pipeline_options())
    )
    state = ModelState(
        model,
        optimizer,
        iterator=iter(dataset),
        rng=tf.random.Generator.from_seed(seed),
        leave_out=leave_out,
    )
    policy = policy or CheckpointPolicy(every_n_steps=every_n_steps, keep_latest=3)
    manager = CheckpointManager(state, storage, policy, async_save=async_save)
    loss = keras.losses.MeanSquaredError()
    return CheckpointedTrainer(manager, loss, steps_per_epoch=STEPS_PER_EPOCH, input_noise=0.05)


class PausingStorage(LocalStorage):
    """A ``LocalStorage`` that stops inside the save of one checkpoint, before its rename.

    Only for the crash demonstration: it prints ``paused <staging folder>`` and waits (at most
    ``max_pause`` seconds, then raises) for the parent to kill the process.
    """

    def __init__(self, root, *, pause_at: str, max_pause: float = 120.0) -> None:
        super().__init__(root)
        self.pause_at, self.max_pause = pause_at, max_pause

    def write_checkpoint(self, name: str, source_dir: pathlib.Path) -> None:
        if name == self.pause_at:
            print(f"paused {pathlib.Path(source_dir).relative_to(self.root)}", flush=True)
            time.sleep(self.max_pause)
            raise RuntimeError(f"paused in the save of {name} and nobody killed the process")
        super().write_checkpoint(name, source_dir)


def warm_up() -> None:
    """One throwaway step and save in memory: TensorFlow's first-call costs, paid in advance.

    A standby calls it while it waits, so that once released it trains at full speed. Every
    ``build_trainer`` reseeds, so what runs afterwards is the same as without it.
    """
    from course_utils.checkpoints.storage import InMemoryStorage

    build_trainer(InMemoryStorage(), every_n_steps=1).fit(1)
    _keras().backend.clear_session(free_memory=False)  # layer names restart, as in a fresh process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the notebook 01 model with checkpoints.")
    parser.add_argument("--directory", help="LocalStorage folder (required)")
    parser.add_argument("--steps", type=int, help="train until this step (required)")
    parser.add_argument("--every", type=int, default=10, help="save every N steps")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--weights-out", help="write the final weights here (.npz)")
    parser.add_argument("--pause-in-save", type=int, help="stop inside the save of this step")
    parser.add_argument(
        "--standby", action="store_true", help="warm up, then read more arguments from stdin"
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    def check_required() -> None:
        if args.directory is None or args.steps is None:
            parser.error("--directory and --steps are required (on the command line or stdin)")

    if not args.standby:
        check_required()
    setup(seed=args.seed, deterministic=True, rare_gc=True)
    if args.standby:
        warm_up()
        line = sys.stdin.readline()  # the folder is not read before this line
        if not line:
            return 1  # end of input: the parent is gone, nobody wants this run any more
        args = parser.parse_args(argv + shlex.split(line))
        check_required()
    storage: LocalStorage
    if args.pause_in_save is not None:
        storage = PausingStorage(args.directory, pause_at=f"ckpt-{args.pause_in_save:010d}")
    else:
        storage = LocalStorage(args.directory)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = build_trainer(storage, seed=args.seed, every_n_steps=args.every)
    for warning in caught:  # e.g. the manager removed what a killed save left behind
        print(f"warning {warning.message}", flush=True)

    def report(step: int, loss: float, saved: bool) -> None:
        print(f"step {step} loss {loss:.6f}{' saved' if saved else ''}", flush=True)

    log = trainer.fit(args.steps, on_step=report)
    print(f"resumed_from {log.resumed_from}", flush=True)
    if args.weights_out:
        weights = {f"w{i}": w for i, w in enumerate(trainer.state.weights())}
        np.savez(pathlib.Path(args.weights_out), **weights)
    return 0


def exit_now(code: int) -> None:
    """End the process at once: flush the output, then skip the interpreter's clean-up.

    Tearing a Python with TensorFlow loaded down (its modules, some 300,000 objects, TensorFlow's
    exit handlers) takes about as long as importing it: seconds, for nothing here, since every
    checkpoint and output file is already written and closed when ``main`` returns.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
