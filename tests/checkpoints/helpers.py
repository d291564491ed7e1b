"""Tiny models, data and states shared by the checkpoint tests and their subprocess workers.

Everything is seeded explicitly (initializers, Dropout, shuffle, generator), so two calls with the
same seed build the same starting point in any process, without touching global seeds.
"""

from __future__ import annotations

import numpy as np

from course_utils.notebook import quiet_tensorflow_import

tf = quiet_tensorflow_import()
import keras  # noqa: E402

from course_utils.checkpoints import ModelState  # noqa: E402

FEATURES = 4
BATCH = 8


def build_model(seed: int = 0, dropout: float = 0.3) -> keras.Model:
    """Dense -> Dropout -> Dense: small, but with a Dropout seed generator to save."""
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(
                8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed)
            ),
            keras.layers.Dropout(dropout, seed=seed + 1),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed + 2)),
        ]
    )


def make_dataset(seed: int = 0, examples: int = 64):
    """A repeated, shuffled regression dataset of ``(features, labels)`` batches."""
    rng = np.random.default_rng(1234)
    x = rng.normal(size=(examples, FEATURES)).astype("float32")
    y = (x @ np.arange(1, FEATURES + 1, dtype="float32") + 0.5)[:, None].astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    return dataset.shuffle(examples, seed=seed, reshuffle_each_iteration=True).repeat().batch(BATCH)


def make_state(seed: int = 0, *, leave_out=(), dropout: float = 0.3, data: bool = True):
    """A full ``ModelState``: model, Adam, data iterator and a ``tf.random.Generator``.

    ``seed`` sets the model's initial weights and Dropout seed; the data order and the generator
    are the same for every seed, as when a resumed process rebuilds the same pipeline.
    """
    model = build_model(seed, dropout)
    optimizer = keras.optimizers.Adam(0.01)
    if not data:
        return ModelState(model, optimizer, leave_out=leave_out)
    return ModelState(
        model,
        optimizer,
        iterator=iter(make_dataset()),
        rng=tf.random.Generator.from_seed(3),
        leave_out=leave_out,
    )


def set_weights_for_step(state: ModelState, step: int) -> None:
    """Give every weight a value that encodes ``step``, so a torn checkpoint cannot hide."""
    state.step.assign(step)
    for index, variable in enumerate(state.model.weights):
        variable.assign(expected_weight(variable.shape, step, index))


def expected_weight(shape, step: int, index: int) -> np.ndarray:
    values = np.arange(int(np.prod(shape)), dtype="float32").reshape(tuple(shape))
    return (values * 0.001 + step + 0.01 * index).astype("float32")


def weights(state: ModelState) -> list[np.ndarray]:
    return [np.array(value) for value in state.weights()]


def same_weights(first, second) -> bool:
    """Bitwise equality of two lists of arrays."""
    return len(first) == len(second) and all(
        a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
        for a, b in zip(first, second, strict=True)
    )


def max_diff(first, second) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(first, second, strict=True))


def crash_policy():
    """The policy of the crash test's worker and of its checks (every save is a new best)."""
    from course_utils.checkpoints import CheckpointPolicy

    return CheckpointPolicy(monitor="loss", keep_latest=2, keep_best=1)


def three_checkpoints(storage):
    """A state saved at steps 1, 2 and 3 through a manager over ``storage`` (keeps all three)."""
    from course_utils.checkpoints import CheckpointManager, CheckpointPolicy

    state = make_state(0, data=False)
    manager = CheckpointManager(state, storage, CheckpointPolicy(keep_latest=5))
    for step in (1, 2, 3):
        set_weights_for_step(state, step)
        manager.save()
    return state, manager
