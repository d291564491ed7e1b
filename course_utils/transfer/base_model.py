"""The architecture of the course's pre-trained base (``data/pretrained/shapes_cnn.keras``).

The command that trains and ships it is ``build_base``; notebook 03's from-scratch baseline
(``transfer.images``) builds the same architecture untrained. Taught in notebook 03.
"""

from __future__ import annotations

from course_utils._tf import keras as _keras
from course_utils.datasets.images import SOURCE_CLASSES

__all__ = ["MODEL_NAME", "FEATURE_LAYER", "TOP_BLOCK", "build_base_model"]

MODEL_NAME = "shapes_cnn"
FEATURE_LAYER = "features"
TOP_BLOCK = ("block3_conv", "block3_bn", "block3_relu")


def build_base_model(
    image_size: int = 32, num_classes: int = len(SOURCE_CLASSES), *, bn_momentum: float = 0.99
):
    """The base CNN: three conv blocks (conv, BatchNormalization, ReLU), pooling, a logit layer.

    Inputs are preprocessed images in ``[-1, 1]`` (``PretrainedModel.preprocess``); the output
    is one logit per source class. The layer ``features`` (global average pooling) is the
    representation the transfer-learning models reuse; ``block3_*`` is the top block that
    fine-tuning unfreezes. A lower ``bn_momentum`` suits short runs (the from-scratch baseline).
    """
    keras = _keras()
    layers = keras.layers

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    for index, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{index}_bn")(x)
        x = layers.ReLU(name=f"block{index}_relu")(x)
        if index < 3:
            x = layers.MaxPooling2D(name=f"block{index}_pool")(x)
    features = layers.GlobalAveragePooling2D(name=FEATURE_LAYER)(x)
    logits = layers.Dense(num_classes, name="source_logits")(features)
    return keras.Model(inputs, logits, name=MODEL_NAME)
