"""The logistic-regression math of notebook 02: loss and one gradient step, as tf.functions.

``logistic_loss(..., naive=True)`` is the textbook formula ``-y log p - (1-y) log(1-p)`` with
``p = sigmoid(w . x + b)``. In float32, ``sigmoid(z)`` rounds to exactly 1.0 once ``z`` exceeds
about 17, so ``log(1 - p)`` is ``-inf`` and ``0 * -inf`` is NaN: a too-large step turns the loss
(and then its gradient and the weights) into NaN. ``naive=False`` uses TensorFlow's stable
``sigmoid_cross_entropy_with_logits``, which never overflows; a too-large step then shows up as
a finite spike. The functions take the variables as arguments, so every ``RollbackTrainer``
shares one trace (widget updates do not retrace).
"""

from __future__ import annotations

from course_utils._tf import tensorflow

tf = tensorflow()

__all__ = ["logistic_loss", "gradient_step", "evaluate_loss"]


def logistic_loss(weights, bias, x, y, naive: bool):
    logits = tf.linalg.matvec(x, weights) + bias
    if naive:  # the textbook formula: p = sigmoid(z) rounds to exactly 1.0 once z > ~17
        p = tf.sigmoid(logits)
        return tf.reduce_mean(-y * tf.math.log(p) - (1.0 - y) * tf.math.log(1.0 - p))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))


@tf.function
def gradient_step(weights, bias, learning_rate, x_batch, y_batch, x_all, y_all, naive):
    """One gradient-descent step on a batch; returns the full training loss afterwards."""
    with tf.GradientTape() as tape:
        loss = logistic_loss(weights, bias, x_batch, y_batch, naive)
    grad_w, grad_b = tape.gradient(loss, [weights, bias])
    weights.assign_sub(learning_rate * grad_w)
    bias.assign_sub(learning_rate * grad_b)
    return logistic_loss(weights, bias, x_all, y_all, naive)


@tf.function
def evaluate_loss(weights, bias, x, y, naive):
    return logistic_loss(weights, bias, x, y, naive)
