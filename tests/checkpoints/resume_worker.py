"""Subprocess for test_trainer.py: train (or resume) a tiny model with checkpoints, save weights.

    python tests/checkpoints/resume_worker.py ROOT TOTAL_STEPS EVERY OUT.npz [--hold-at STEP]

Prints ``step N`` after every step; with ``--hold-at`` it prints ``HOLD`` at that step and waits
to be killed by the parent (a crash at a known point). At the end it prints a JSON line
``{"resumed_from": ..., "steps": [...], "saves": [...]}`` and writes the weights with
``numpy.savez`` (no pickle).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from course_utils.notebook import setup

setup(seed=0, deterministic=True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from course_utils.checkpoints import (  # noqa: E402
    CheckpointManager,
    CheckpointPolicy,
    LocalStorage,
    Trainer,
)
from tests.checkpoints.helpers import make_state, weights  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("total", type=int)
    parser.add_argument("every", type=int)
    parser.add_argument("out")
    parser.add_argument("--hold-at", type=int, default=None)
    args = parser.parse_args()

    state = make_state(0)
    policy = CheckpointPolicy(every_n_steps=args.every, keep_latest=2)
    manager = CheckpointManager(state, LocalStorage(args.root), policy)
    trainer = Trainer(manager, keras.losses.MeanSquaredError(), steps_per_epoch=4, input_noise=0.1)

    def on_step(step: int, loss: float, saved: bool) -> None:
        print(f"step {step}", flush=True)
        if step == args.hold_at:
            print("HOLD", flush=True)
            time.sleep(600)  # the parent SIGKILLs us here

    log = trainer.fit(args.total, on_step=on_step)
    np.savez(args.out, *weights(state))
    print(json.dumps({"resumed_from": log.resumed_from, "steps": log.steps, "saves": log.saves}))


if __name__ == "__main__":
    main()
