"""ModelState: one tf.train.Checkpoint holding everything an exact resume needs.

The round-trip test advances every part (weights, Adam slots and iterations, step/epoch, the
tf.data iterator, a tf.random.Generator, the Dropout seed generator), restores into freshly
built objects, and checks each part, after first checking that the fresh object differs (so
that each check can fail). The leave_out tests show a resumed run differs without the part.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils.checkpoints import (
    CheckpointedTrainer,
    CheckpointManager,
    CheckpointPolicy,
    InMemoryStorage,
    ModelState,
)
from course_utils.checkpoints.state import dropout_seed_variables, tf

from .helpers import build_model, make_dataset, make_state, max_diff, same_weights, weights

ALL_PARTS = ("dropout_seeds", "epoch", "iterator", "model", "optimizer", "rng", "step")


def _advance(state: ModelState, steps: int = 3) -> None:
    """Train a few steps by hand: uses the iterator, the generator, Dropout and Adam."""
    model, optimizer = state.model, state.optimizer
    loss_fn = keras.losses.MeanSquaredError()

    @tf.function
    def step(features, labels):
        features = features + 0.1 * state.rng.normal(tf.shape(features))
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(features, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    for _ in range(steps):
        step(*next(state.iterator))
        state.step.assign_add(1)
    state.epoch.assign(5)


def _seeds(state):
    return [np.array(v) for v in dropout_seed_variables(state.model).values()]


def _optimizer_values(state):
    return [np.array(v) for v in state.optimizer.variables]


def test_a_full_state_saves_every_part():
    state = make_state(0)
    assert state.parts == ALL_PARTS
    assert "step=0" in repr(state)
    assert len(dropout_seed_variables(state.model)) == 1


@pytest.mark.parametrize("part", ["dropout_seeds", "iterator", "rng"])
def test_leave_out_removes_exactly_that_part(part):
    state = make_state(0, leave_out=(part,))
    assert state.parts == tuple(p for p in ALL_PARTS if p != part)


@pytest.mark.parametrize("leave_out", [("model",), ("optimizer",), ("dropout",), ("rng", "x")])
def test_unknown_leave_out_raises(leave_out):
    with pytest.raises(ValueError, match="leave_out"):
        make_state(0, leave_out=leave_out)


def test_a_state_needs_a_model_or_variables():
    with pytest.raises(ValueError, match="model or some variables"):
        ModelState()
    with pytest.raises(ValueError):
        ModelState(optimizer=keras.optimizers.SGD())


def test_round_trip_restores_every_part(tmp_path):
    saved = make_state(0)
    _advance(saved, 3)
    saved.write(tmp_path / "state")
    expected = {
        "weights": weights(saved),
        "optimizer": _optimizer_values(saved),
        "seeds": _seeds(saved),
        "batch": next(saved.iterator)[0].numpy(),
        "noise": saved.rng.normal([4]).numpy(),
    }
    assert int(saved.optimizer.iterations) == 3

    restored = make_state(1)  # other initial weights, fresh iterator, generator and seeds
    fresh = make_state(1)
    assert not same_weights(weights(restored), expected["weights"])
    assert not same_weights(_seeds(restored), expected["seeds"])
    assert not np.array_equal(next(fresh.iterator)[0].numpy(), expected["batch"])
    assert not np.array_equal(fresh.rng.normal([4]).numpy(), expected["noise"])

    restored.read(tmp_path / "state")
    assert same_weights(weights(restored), expected["weights"])
    assert int(restored.optimizer.iterations) == 3
    assert same_weights(_optimizer_values(restored), expected["optimizer"])  # Adam's moments
    assert int(restored.step) == 3 and int(restored.epoch) == 5
    assert same_weights(_seeds(restored), expected["seeds"])
    assert np.array_equal(next(restored.iterator)[0].numpy(), expected["batch"])
    assert np.array_equal(restored.rng.normal([4]).numpy(), expected["noise"])


@pytest.mark.parametrize("part", ["dropout_seeds", "iterator", "rng"])
def test_a_left_out_part_is_not_restored(part, tmp_path):
    saved = make_state(0, leave_out=(part,))
    _advance(saved, 3)
    saved.write(tmp_path / "state")
    restored = make_state(0, leave_out=(part,))
    restored.read(tmp_path / "state")
    reference = make_state(0)
    _advance(reference, 3)
    restored_value = {
        "dropout_seeds": lambda s: _seeds(s),
        "iterator": lambda s: [next(s.iterator)[0].numpy()],
        "rng": lambda s: [s.rng.normal([4]).numpy()],
    }[part]
    # Everything else came back; the left-out part is where a fresh object starts.
    assert same_weights(weights(restored), weights(saved))
    value = restored_value(restored)  # (reading the iterator or generator advances it)
    assert not same_weights(value, restored_value(reference))
    assert same_weights(value, restored_value(make_state(0)))


def test_reading_into_a_different_architecture_raises(tmp_path):
    saved = make_state(0, data=False)
    saved.write(tmp_path / "state")
    other = ModelState(
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), keras.optimizers.Adam()
    )
    with pytest.raises((ValueError, tf.errors.OpError)):
        other.read(tmp_path / "state")


def test_a_state_of_plain_variables_round_trips(tmp_path):
    weight = tf.Variable([1.0, 2.0])
    state = ModelState(variables={"w": weight})
    assert state.parts == ("epoch", "step", "variables")
    state.step.assign(4)
    state.write(tmp_path / "v")
    weight.assign([0.0, 0.0])
    state.step.assign(0)
    state.read(tmp_path / "v")
    assert weight.numpy().tolist() == [1.0, 2.0] and int(state.step) == 4
    assert [w.tolist() for w in state.weights()] == [[1.0, 2.0]]


def _train(total_steps, storage, leave_out=()):
    state = make_state(0, leave_out=leave_out)
    manager = CheckpointManager(state, storage, CheckpointPolicy(every_n_steps=4))
    trainer = CheckpointedTrainer(
        manager, keras.losses.MeanSquaredError(), steps_per_epoch=4, input_noise=0.1
    )
    log = trainer.fit(total_steps)
    return weights(state), log


@pytest.fixture(scope="module")
def uninterrupted():
    return _train(8, InMemoryStorage())[0]


@pytest.mark.parametrize(
    "leave_out",
    [(), ("dropout_seeds",), ("iterator",), ("rng",)],
    ids=lambda v: v[0] if v else "all",
)
def test_a_resumed_run_matches_only_with_every_part_saved(leave_out, uninterrupted):
    storage = InMemoryStorage()
    _train(4, storage, leave_out)  # "process 1": stops after the checkpoint at step 4
    resumed, log = _train(8, storage, leave_out)  # "process 2": fresh objects, resumes
    assert log.resumed_from == 4 and log.steps == [5, 6, 7, 8]
    if not leave_out:
        assert same_weights(resumed, uninterrupted), max_diff(resumed, uninterrupted)
    else:
        assert max_diff(resumed, uninterrupted) > 1e-4, f"without {leave_out} the run differs"


def test_the_dataset_helper_is_deterministic():
    first, second = iter(make_dataset()), iter(make_dataset())
    for _ in range(3):
        assert np.array_equal(next(first)[0].numpy(), next(second)[0].numpy())
    assert build_model(0).count_params() == build_model(1).count_params()


def test_a_state_built_in_a_strategy_scope_saves_and_restores():
    """Notebook 06 builds models inside strategy.scope(): counters become mirrored variables."""
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        state = ModelState(model, keras.optimizers.Adam())
    assert "Mirrored" in type(state.step).__name__
    state.step.assign_add(4)
    manager = CheckpointManager(state, InMemoryStorage(), CheckpointPolicy())
    saved = [variable.numpy().copy() for variable in model.weights]
    info = manager.save()
    assert (info.step, repr(state).startswith("ModelState(step=4,")) == (4, True)
    for variable in model.weights:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    state.step.assign(0)
    manager.restore(info.name)
    assert state.step_number == 4
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(saved, model.weights, strict=True))
