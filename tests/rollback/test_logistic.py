"""The loss: the naive float32 formula overflows to NaN where the stable one stays finite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.checkpoints.state import tf
from course_utils.rollback.logistic import gradient_step, logistic_loss


def _loss(logit: float, label: float, naive: bool) -> float:
    weights, bias = tf.constant([1.0]), tf.constant(0.0)
    x, y = tf.constant([[logit]]), tf.constant([label])
    return float(logistic_loss(weights, bias, x, y, naive))


@pytest.mark.parametrize("logit", [0.0, 2.0, -5.0, 5.0])
def test_both_formulas_agree_on_moderate_logits(logit):
    for label in (0.0, 1.0):
        assert _loss(logit, label, True) == pytest.approx(_loss(logit, label, False), rel=1e-3)


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_naive_formula_is_not_finite_once_the_sigmoid_rounds_to_one(label):
    assert not math.isfinite(_loss(20.0, label, True))
    assert math.isfinite(_loss(20.0, label, False))


def test_a_nan_loss_makes_the_weights_nan():
    weights, bias, lr = tf.Variable([1.0]), tf.Variable(0.0), tf.Variable(0.1)
    x, y = tf.constant([[20.0]]), tf.constant([1.0])
    loss = gradient_step(weights, bias, lr, x, y, x, y, True)
    assert math.isnan(float(loss)) and np.isnan(weights.numpy()).all()
