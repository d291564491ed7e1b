"""EarlyStoppingTrainer: the protocol both sides of notebook 03's comparison train with."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.notebook import setup

setup(seed=0)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from course_utils.transfer.early_stopping import EarlyStoppingTrainer  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _blobs(n, seed):
    """Two Gaussian blobs in 4 dimensions: a task a linear model learns in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return (rng.normal(size=(n, 4)) + 2.0 * y[:, None]).astype("float32"), y


def _linear(units=2):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])


def test_early_stopping_restores_the_best_weights_and_stops_after_patience():
    model = _linear()
    trainer = EarlyStoppingTrainer(model, 1e-2)
    train, validation = _blobs(40, 0), _blobs(200, 1)
    result = trainer.fit(train, validation, batch_size=8, eval_every=5, patience=3)
    # stopped by patience, not by the step limit: 3 scores after the best one, 5 steps apart
    assert result["steps_run"] == result["steps"] + 3 * 5 < 3000
    # the weights left in the model are the best ones: they score what fit reported
    logits = np.asarray(model(validation[0]))
    assert np.mean(logits.argmax(-1) == validation[1]) == pytest.approx(result["val_accuracy"])
    assert result["val_accuracy"] > 0.9 and result["batch_size"] == 8


def test_early_stopping_is_repeatable_with_one_trainer():
    # The sweep reuses one trainer: fit must reset the optimizer, or the second run differs.
    model = _linear()
    trainer = EarlyStoppingTrainer(model, 1e-2)
    initial = model.get_weights()
    runs = []
    for _ in range(2):
        model.set_weights(initial)
        result = trainer.fit(_blobs(30, 0), _blobs(50, 1), eval_every=4, patience=2, seed=3)
        runs.append((result, [w.copy() for w in model.get_weights()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_early_stopping_honours_max_steps_and_uses_the_whole_set_when_smaller_than_a_batch():
    result = EarlyStoppingTrainer(_linear(), 1e-3).fit(
        _blobs(6, 0), _blobs(20, 1), batch_size=32, eval_every=4, patience=100, max_steps=10
    )
    assert result["steps_run"] == 10 and result["batch_size"] == 6


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"patience": 1.5}, TypeError, "patience"),
        ({"eval_every": 0}, ValueError, "eval_every"),
        ({"max_steps": True}, TypeError, "max_steps"),
    ],
)
def test_early_stopping_validates_arguments(kwargs, error, message):
    trainer = EarlyStoppingTrainer(_linear(), 1e-2)
    with pytest.raises(error, match=message):
        trainer.fit(_blobs(10, 0), _blobs(10, 1), **kwargs)


def test_early_stopping_refuses_mismatched_or_empty_splits():
    trainer = EarlyStoppingTrainer(_linear(), 1e-2)
    x, y = _blobs(10, 0)
    with pytest.raises(ValueError, match="as many labels as inputs"):
        trainer.fit((x, y[:5]), (x, y))
    with pytest.raises(ValueError, match="as many labels as inputs"):
        trainer.fit((x, y), (x[:0], y[:0]))
    with pytest.raises(ValueError, match="learning_rate"):
        EarlyStoppingTrainer(_linear(), 0.0)


def test_the_steps_between_two_scores_run_as_one_graph_loop_with_the_same_updates():
    # fit runs eval_every steps in one traced call; they must be the Adam updates that one call
    # per mini-batch would make, in the same order.
    x, y = _blobs(24, 0)
    looped, stepped = _linear(), _linear()
    stepped.set_weights(looped.get_weights())
    trainer = EarlyStoppingTrainer(looped, 1e-2)
    batches = np.random.default_rng(1).permutation(24)[:20].reshape(5, 4)
    trainer._train_steps(x, y, batches)
    optimizer = keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for rows in batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y[rows], stepped(x[rows], training=True))
        variables = stepped.trainable_variables
        optimizer.apply(tape.gradient(loss, variables), variables)
    for a, b in zip(looped.get_weights(), stepped.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
