"""Wrong answers students really write for notebooks/03_transfer_learning.ipynb."""

_EX1_HEAD = (
    "# top_block_trainable = ...  (a whole number: the base parameters that training may now "
    "change)\n"
)
_EX2_HEAD = """\
# few_shot_head = ...  (a TaskSpecificModel with a hidden layer, trained on the 25 images only)
# few_shot_accuracy = ...  (its accuracy on the test set)
"""
_EX2_TAIL = """\
few_shot_accuracy = float(np.mean(few_shot_head.predict(test_features) == y_test))
print(f"test accuracy with 5 labels per class: {few_shot_accuracy:.3f}")
"""
_EX3_HEAD = (
    "# raw_source_accuracy = ...  (the fraction of x_fresh classified correctly, without "
    "preprocessing)\n"
)
_EX3_TAIL = """\
raw_source_accuracy = float(np.mean(raw_logits.argmax(-1) == y_fresh))
print(f"source accuracy: {fresh_accuracy:.3f} preprocessed, {raw_source_accuracy:.3f} raw")
"""

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            "counts a bias per output channel, which block3_conv does not have",
            _EX1_HEAD + "top_block_trainable = 3 * 3 * 32 * 64 + 64\n",
        ),
        (
            "counts the frozen BatchNormalization's gamma and beta as trainable too",
            _EX1_HEAD + "top_block_trainable = 3 * 3 * 32 * 64 + 2 * 64\n",
        ),
    ],
    "ex2-answer": [
        (
            "a linear head (hidden_units=0), the head of section 8: no hidden layer",
            _EX2_HEAD
            + """\
keras.utils.set_random_seed(0)
few_shot_head = TaskSpecificModel(len(TARGET_CLASSES), hidden_units=0, dropout=0.0)
few_shot_head.train_on_features(
    pool_features[five_per_class], y_pool[five_per_class], steps=200, learning_rate=1e-2
)
"""
            + _EX2_TAIL,
        ),
        (
            "trained on the whole labelled pool (250 images), not on the 25 of five_per_class",
            _EX2_HEAD
            + """\
keras.utils.set_random_seed(0)
few_shot_head = TaskSpecificModel(len(TARGET_CLASSES), hidden_units=512, dropout=0.5)
few_shot_head.train_on_features(pool_features, y_pool, steps=600, learning_rate=1e-3)
"""
            + _EX2_TAIL,
        ),
    ],
    "ex3-answer": [
        (
            "measures the accuracy with preprocessing a second time",
            _EX3_HEAD
            + "raw_logits = fresh_base.classifier.predict(fresh_base.preprocess(x_fresh), "
            "verbose=0)\n" + _EX3_TAIL,
        ),
        (
            "scales the pixels to [0, 1] (x / 255): another preprocessing, not the raw pixels",
            _EX3_HEAD
            + "raw_logits = fresh_base.classifier.predict(x_fresh / 255.0, verbose=0)\n"
            + _EX3_TAIL,
        ),
    ],
}
