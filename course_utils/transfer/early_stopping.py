"""``EarlyStoppingTrainer``: train until the validation score stops improving, keep the best.

Notebook 03 trains the transfer head and the from-scratch CNN with it, so that both sides of the
comparison get the same, fair protocol: neither is cut short by a fixed step budget.
"""

from __future__ import annotations

import numpy as np

from course_utils._tf import keras as _keras
from course_utils._tf import tensorflow as _tensorflow
from course_utils.validation import check_int, check_positive_float

__all__ = ["EarlyStoppingTrainer"]


class EarlyStoppingTrainer:
    """Adam on mini-batches until validation accuracy stops improving; the best weights win.

    Every ``eval_every`` steps the model is scored on the validation split: accuracy first, the
    loss breaks ties (the loss alone would prefer an untrained model to a confidently overfitted
    one). Training stops after ``patience`` scores without a new best, or at ``max_steps``, and
    the weights of the best score are restored. The steps between two scores run as one traced
    function (a loop in the graph), and one trainer (and its trace) serves many runs: ``fit``
    resets the optimizer, the caller resets the weights.
    """

    def __init__(self, model, learning_rate: float):
        keras, tf = _keras(), _tensorflow()

        self.model = model
        self.optimizer = keras.optimizers.Adam(check_positive_float("learning_rate", learning_rate))
        self.optimizer.build(model.trainable_variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function(reduce_retracing=True)
        def train_steps(inputs, labels, batches):  # one Adam update per row of batches
            # One call runs all the steps between two scores: a graph loop, not a Python one,
            # so the per-call cost (half the time of a small model's step) is paid once.
            for step in tf.range(tf.shape(batches)[0]):
                indices = batches[step]
                with tf.GradientTape() as tape:
                    logits = model(tf.gather(inputs, indices), training=True)
                    loss = loss_fn(tf.gather(labels, indices), logits)
                gradients = tape.gradient(loss, model.trainable_variables)
                self.optimizer.apply(gradients, model.trainable_variables)

        @tf.function(reduce_retracing=True)
        def validation_score(inputs, labels):  # (accuracy, loss): higher accuracy wins
            logits = model(inputs, training=False)
            hits = tf.cast(tf.equal(tf.argmax(logits, -1), tf.cast(labels, tf.int64)), tf.float32)
            return tf.reduce_mean(hits), loss_fn(labels, logits)

        self._train_steps, self._validation_score = train_steps, validation_score

    def fit(
        self,
        train: tuple[np.ndarray, np.ndarray],
        validation: tuple[np.ndarray, np.ndarray],
        *,
        batch_size: int = 32,
        eval_every: int = 20,
        patience: int = 10,
        max_steps: int = 3000,
        seed: int = 0,
    ) -> dict:
        """Train on ``train``, stop on ``validation``; return what happened.

        ``steps`` is the step count of the restored (best) weights, ``steps_run`` all steps taken,
        ``val_accuracy`` and ``val_loss`` the best score, ``batch_size`` the one used (the whole
        training set when it is smaller than ``batch_size``). ``seed`` orders the mini-batches.
        """
        tf = _tensorflow()
        batch_size = check_int("batch_size", batch_size, minimum=1)
        eval_every = check_int("eval_every", eval_every, minimum=1)
        patience = check_int("patience", patience, minimum=1)
        max_steps = check_int("max_steps", max_steps, minimum=1)
        x, y = np.asarray(train[0], dtype=np.float32), np.asarray(train[1])
        x_val, y_val = np.asarray(validation[0], dtype=np.float32), np.asarray(validation[1])
        if len(x) != len(y) or len(x_val) != len(y_val) or not len(x) or not len(x_val):
            raise ValueError(
                f"train and validation need as many labels as inputs, and at least one: "
                f"got {len(x)}/{len(y)} and {len(x_val)}/{len(y_val)}"
            )
        for variable in self.optimizer.variables:  # a fresh optimizer, same learning rate
            if "learning_rate" not in variable.path:
                variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        batch = min(batch_size, len(x))
        x_tensor, y_tensor = tf.convert_to_tensor(x), tf.convert_to_tensor(y)  # copied once
        rng = np.random.default_rng(seed)
        order: list[int] = []
        best, best_weights = self._score(x_val, y_val, 0), self.model.get_weights()
        steps = waited = 0
        while steps < max_steps and waited < patience:
            count = min(eval_every, max_steps - steps)
            while len(order) < count * batch:  # epochs: each image once per pass, reshuffled
                order.extend(rng.permutation(len(x)).tolist())
            rows = np.array(order[: count * batch]).reshape(count, batch)
            del order[: count * batch]
            self._train_steps(x_tensor, y_tensor, rows)
            steps += count
            score = self._score(x_val, y_val, steps)
            if (score["val_accuracy"], -score["val_loss"]) > (
                best["val_accuracy"],
                -best["val_loss"],
            ):
                best, best_weights, waited = score, self.model.get_weights(), 0
            else:
                waited += 1
        self.model.set_weights(best_weights)
        return {**best, "steps_run": steps, "batch_size": batch}

    def _score(self, x_val: np.ndarray, y_val: np.ndarray, steps: int) -> dict:
        accuracy, loss = self._validation_score(x_val, y_val)
        return {"steps": steps, "val_accuracy": float(accuracy), "val_loss": float(loss)}
