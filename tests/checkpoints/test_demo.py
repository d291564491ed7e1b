"""The notebook 01 demo run: exact checkpoint sizes, a kill inside a save, standby processes.

Each test guards a claim notebook 01 makes with ``course_utils.checkpoints.demo``: checkpoints
of the same step hold the same bytes on every run (``inject_prefetch`` off), a process killed
inside a save leaves a staging folder that the next manager removes and never lists, and the
package's ``CheckpointedTrainer`` is the loop the notebook writes out.
"""

from __future__ import annotations

import pathlib
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

from course_utils._tf import keras as _keras
from course_utils.checkpoints import (
    CheckpointedTrainer,
    CheckpointManager,
    CheckpointPolicy,
    InMemoryStorage,
    LocalStorage,
)
from course_utils.checkpoints.demo import PausingStorage, build_trainer, pipeline_options, warm_up

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_trainer_has_a_distinct_name_and_keeps_the_uml_alias():
    assert CheckpointedTrainer is CheckpointedTrainer
    trainer = build_trainer(InMemoryStorage())
    assert isinstance(trainer, CheckpointedTrainer)


def test_pipeline_options_turn_off_injected_prefetch():
    assert pipeline_options().experimental_optimization.inject_prefetch is False


def test_checkpoints_of_the_same_step_hold_the_same_bytes(tmp_path):
    sizes = []
    for run in range(2):
        # Layer names (dense, dense_1, ...) are in the checkpoint and count up per process: start
        # both runs from fresh names, as a fresh process (or warm_up) does, whatever ran before.
        _keras().backend.clear_session(free_memory=False)
        storage = LocalStorage(tmp_path / f"run-{run}", durable=False)
        build_trainer(storage, every_n_steps=5).fit(10)
        folder = storage.root / storage.list_checkpoints()[-1]
        sizes.append(
            {p.name: p.stat().st_size for p in folder.iterdir() if p.name != "manifest.json"}
        )
    assert sizes[0] == sizes[1]


def test_pausing_storage_stops_before_publishing(tmp_path, capsys):
    storage = PausingStorage(tmp_path / "run", pause_at="ckpt-0000000004", max_pause=0)
    trainer = build_trainer(storage, every_n_steps=2)
    with pytest.raises(RuntimeError, match="nobody killed"):
        trainer.fit(6)
    printed = capsys.readouterr().out
    assert printed.startswith("paused .staging/tmp-")
    assert storage.list_checkpoints() == ["ckpt-0000000002"]


def test_a_kill_inside_a_save_leaves_a_staging_folder_that_is_never_restored(tmp_path):
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "course_utils.checkpoints.demo", "--directory", str(folder)]
    command += ["--steps", "6", "--every", "2", "--pause-in-save", "4"]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    staged = None
    try:
        for line in process.stdout:
            if line.startswith("paused "):
                staged = folder / line.split()[1]
                process.send_signal(signal.SIGKILL)
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert staged is not None and (staged / "state.index").is_file()
    assert sorted(p.name for p in folder.glob("ckpt-*")) == ["ckpt-0000000002"]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survivor = build_trainer(LocalStorage(folder), every_n_steps=2)
    assert any("incomplete checkpoint" in str(w.message) for w in caught)
    assert not staged.exists()
    log = survivor.fit(6)
    assert log.resumed_from == 2

    reference = build_trainer(InMemoryStorage(), every_n_steps=2)
    reference.fit(6)
    for a, b in zip(reference.state.weights(), survivor.state.weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_standby_process_whose_parent_is_gone_touches_nothing(tmp_path):
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "course_utils.checkpoints.demo", "--directory", str(folder)]
    result = subprocess.run(
        [*command, "--steps", "4", "--standby"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,  # end of input at once, as when the parent died
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "step " not in result.stdout
    assert LocalStorage(folder).list_checkpoints() == []


def test_a_standby_takes_its_arguments_from_its_input(tmp_path):
    folder = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "course_utils.checkpoints.demo", "--standby", "--every", "2"],
        cwd=REPO,
        input=f"--directory '{folder}' --steps 4 --weights-out '{tmp_path / 'w.npz'}'\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [line.split()[1] for line in result.stdout.splitlines() if line.startswith("step ")] == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert LocalStorage(folder).list_checkpoints()[-1] == "ckpt-0000000004"
    with np.load(tmp_path / "w.npz", allow_pickle=False) as weights:  # complete, despite exit_now
        assert len(weights.files) == 6 and weights["w0"].shape == (8, 32)
    # The warm-up leaves no trace: the same bytes as a process that never warmed up.
    direct = tmp_path / "direct"
    command = [sys.executable, "-m", "course_utils.checkpoints.demo", "--every", "2"]
    command += ["--directory", str(direct), "--steps", "4"]
    subprocess.run(command, cwd=REPO, capture_output=True, check=True, timeout=300)
    for name in ("state.index", "state.data-00000-of-00001"):
        warmed = (folder / "ckpt-0000000004" / name).read_bytes()
        assert warmed == (direct / "ckpt-0000000004" / name).read_bytes(), name


def test_the_demo_needs_a_directory_and_a_step_count(capsys):
    from course_utils.checkpoints.demo import main

    with pytest.raises(SystemExit):
        main(["--steps", "4"])
    assert "--directory and --steps are required" in capsys.readouterr().err


def test_a_warm_up_first_changes_nothing_that_follows():
    cold = build_trainer(InMemoryStorage(), every_n_steps=3)
    cold.fit(7)
    warm_up()  # what a standby does before it is released
    warm = build_trainer(InMemoryStorage(), every_n_steps=3)
    warm.fit(7)
    for a, b in zip(cold.state.weights(), warm.state.weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_background_failure_surfaces_at_the_next_save_and_at_wait():
    trainer = build_trainer(InMemoryStorage())
    state = trainer.state
    manager = CheckpointManager(
        state, InMemoryStorage(max_checkpoints=1), CheckpointPolicy(keep_latest=3), async_save=True
    )
    try:
        manager.save()
        state.step.assign_add(1)
        manager.save()  # fails in the background: the storage holds one checkpoint
        state.step.assign_add(1)
        with pytest.raises(Exception, match="background save of ckpt-0000000001 failed"):
            manager.save()
        manager.save()  # fails again, in the background
        with pytest.raises(Exception, match="background save of ckpt-0000000002 failed"):
            manager.wait()
    finally:
        manager.close()
