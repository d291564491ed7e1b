"""The one compile step of the transfer-learning classifiers (notebooks 03 and 05).

Every classifier in ``course_utils.transfer`` outputs logits for integer labels, trained with
Adam: ``compile_classifier`` is that choice, written once.
"""

from __future__ import annotations

from typing import Any

from course_utils._tf import keras as _keras

__all__ = ["compile_classifier"]


def compile_classifier(
    model: Any,
    learning_rate: float,
    *,
    accuracy: bool = True,
    steps_per_execution: int = 1,
) -> Any:
    """Compile ``model`` (logits out, integer labels) with Adam; return it.

    Call it again after changing ``trainable``: Keras applies the change only on compile.
    """
    keras = _keras()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"] if accuracy else None,
        steps_per_execution=steps_per_execution,
    )
    return model
