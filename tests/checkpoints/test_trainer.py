"""Trainer: a plain loop that resumes exactly, in this process and across killed processes."""

from __future__ import annotations

import json
import math
import os
import pathlib
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest

from course_utils.checkpoints import (
    CheckpointManager,
    CheckpointPolicy,
    InMemoryStorage,
    ModelState,
    Trainer,
    TrainingLog,
)

from .helpers import build_model, make_state, same_weights, weights

WORKER = pathlib.Path(__file__).with_name("resume_worker.py")
REPO = pathlib.Path(__file__).resolve().parents[2]
MSE = keras.losses.MeanSquaredError()


def _trainer(state, storage=None, policy=None, *, async_save=False, noise=0.1):
    manager = CheckpointManager(
        state,
        storage if storage is not None else InMemoryStorage(),
        policy or CheckpointPolicy(every_n_steps=3, keep_latest=None),
        async_save=async_save,
    )
    return Trainer(manager, MSE, steps_per_epoch=4, input_noise=noise)


# ---------------------------------------------------------------------------- validation
def test_trainer_needs_model_optimizer_and_iterator():
    no_iterator = make_state(0, data=False)
    with pytest.raises(ValueError, match="iterator"):
        Trainer(CheckpointManager(no_iterator, InMemoryStorage()), MSE, steps_per_epoch=1)
    no_optimizer = ModelState(build_model(0))
    with pytest.raises(ValueError, match="optimizer"):
        Trainer(CheckpointManager(no_optimizer, InMemoryStorage()), MSE, steps_per_epoch=1)


@pytest.mark.parametrize(
    ("steps_per_epoch", "error"),
    [(0, ValueError), (-1, ValueError), (2.0, TypeError), (None, TypeError), (True, TypeError)],
)
def test_steps_per_epoch_must_be_a_positive_int(steps_per_epoch, error):
    manager = CheckpointManager(make_state(0), InMemoryStorage())
    with pytest.raises(error, match="steps_per_epoch"):
        Trainer(manager, MSE, steps_per_epoch=steps_per_epoch)


def test_input_noise_needs_a_generator_and_must_be_non_negative():
    state = make_state(0)
    manager = CheckpointManager(state, InMemoryStorage())
    with pytest.raises(ValueError, match="input_noise"):
        Trainer(manager, MSE, steps_per_epoch=1, input_noise=-0.1)
    with pytest.raises(TypeError, match="input_noise must be a number"):
        Trainer(manager, MSE, steps_per_epoch=1, input_noise="0.1")
    state.rng = None
    with pytest.raises(ValueError, match="rng"):
        Trainer(manager, MSE, steps_per_epoch=1, input_noise=0.1)


@pytest.mark.parametrize(
    ("total", "error"), [(-1, ValueError), (2.5, TypeError), ("3", TypeError), (True, TypeError)]
)
def test_fit_needs_a_non_negative_int(total, error):
    with pytest.raises(error, match="total_steps"):
        _trainer(make_state(0)).fit(total)


# ---------------------------------------------------------------------------- the loop
def test_fit_logs_steps_losses_saves_epochs_and_calls_on_step():
    state = make_state(0)
    trainer = _trainer(state)
    seen = []
    log = trainer.fit(7, on_step=lambda step, loss, saved: seen.append((step, loss, saved)))
    assert isinstance(log, TrainingLog) and log.resumed_from is None
    assert log.steps == list(range(1, 8)) and len(log.losses) == 7
    assert all(math.isfinite(loss) for loss in log.losses)
    assert log.saves == [3, 6]
    saved_flags = [step in (3, 6) for step in log.steps]
    assert seen == list(zip(log.steps, log.losses, saved_flags, strict=True))
    assert int(state.step) == 7 and int(state.epoch) == 1  # 4 steps per epoch
    assert [(i.step, i.epoch, i.reason) for i in trainer.manager.checkpoints()] == [
        (3, 0, "every_n_steps"),
        (6, 1, "every_n_steps"),
    ]
    assert trainer.manager.checkpoints()[0].metrics["loss"] == log.losses[2]
    # Already there: a second call trains nothing (it restores step 6 and trains to 7 again).
    again = trainer.fit(7)
    assert again.resumed_from == 6 and again.steps == [7]


def test_a_diverging_loss_stops_training():
    state = make_state(0)
    manager = CheckpointManager(state, InMemoryStorage(), CheckpointPolicy(every_n_steps=1))

    def nan_after_two_steps(labels, predictions):
        loss = MSE(labels, predictions)
        return keras.ops.where(state.optimizer.iterations >= 2, float("nan"), loss)

    trainer = Trainer(manager, nan_after_two_steps, steps_per_epoch=4)
    with pytest.raises(FloatingPointError, match="step 3"):
        trainer.fit(10)
    assert [info.step for info in manager.checkpoints()] == [1, 2]  # no checkpoint of NaN


def test_async_training_matches_sync_training():
    sync_state, async_state = make_state(0), make_state(0)
    sync_log = _trainer(sync_state).fit(7)
    async_trainer = _trainer(async_state, async_save=True)
    async_log = async_trainer.fit(7)
    async_trainer.manager.close()
    assert same_weights(weights(sync_state), weights(async_state))
    assert sync_log.saves == async_log.saves == [3, 6]
    fresh = make_state(4)
    CheckpointManager(fresh, async_trainer.manager.storage).restore_latest()
    assert int(fresh.step) == 6


# ---------------------------------------------------------------------------- across processes
def _worker(root, total, out, *extra):
    command = [sys.executable, str(WORKER), str(root), str(total), "4", str(out), *extra]
    return subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def _finish(process, timeout=120):
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stdout.splitlines(), json.loads(stdout.splitlines()[-1])


def _load(path):
    with np.load(path, allow_pickle=False) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def test_a_run_killed_mid_training_resumes_bitwise_equal(tmp_path):
    total = 14
    uninterrupted = _worker(tmp_path / "a", total, tmp_path / "a.npz")
    crashing = _worker(tmp_path / "b", total, tmp_path / "b-unused.npz", "--hold-at", "10")
    try:
        lines = []
        for line in crashing.stdout:  # read until the worker reports it is at step 10
            lines.append(line.strip())
            if line.strip() == "HOLD":
                break
        assert lines[-2:] == ["step 10", "HOLD"], lines
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(timeout=30)
        assert crashing.returncode == -signal.SIGKILL
    finally:
        if crashing.poll() is None:
            crashing.kill()
        crashing.stdout.close()
        crashing.stderr.close()
    assert not (tmp_path / "b-unused.npz").exists()

    resumed = _worker(tmp_path / "b", total, tmp_path / "b.npz")
    _, uninterrupted_log = _finish(uninterrupted)
    resumed_lines, resumed_log = _finish(resumed)
    assert uninterrupted_log["resumed_from"] is None
    assert resumed_log["resumed_from"] == 8, "the newest checkpoint before the kill at step 10"
    assert resumed_lines[0] == "step 9" and resumed_log["steps"] == list(range(9, total + 1))
    assert resumed_log["saves"] == [12]
    expected, actual = _load(tmp_path / "a.npz"), _load(tmp_path / "b.npz")
    assert len(expected) == 4
    assert same_weights(expected, actual), "resumed run must be bitwise equal"
