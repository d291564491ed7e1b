"""Wrong answers students really write for notebooks/06_distribution_strategy.ipynb."""

_EX1 = (
    "# Two numbers, worked out by hand (parts 2 and 4): the rows of each of the 3 replicas, and"
    " the\n"
    "# factor between the gradient with per-replica means and the correct gradient.\n"
)
_EX2 = "# The learning rate for 8 GPUs x 32 rows per GPU, as a number.\n"
_EX3 = (
    'hosts3 = ["a.example:2222", "b.example:2222", "c.example:2222"]\n'
    "# third_tf_config = tf_config(...)  (a JSON string, what the worker reads from TF_CONFIG)\n"
)

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            "the global batch taken for the per-replica batch",
            _EX1 + "rows_per_replica = 48\nbug_factor = 3\n",
        ),
        (
            "the bug factor upside down (the mean divides by 3, so the gradient shrinks?)",
            _EX1 + "rows_per_replica = 48 // 3\nbug_factor = 1 / 3\n",
        ),
    ],
    "ex2-answer": [
        ("the tuned rate kept unchanged", _EX2 + "new_lr = 0.1\n"),
        (
            "multiplied by the new global batch, forgot to divide by 32",
            _EX2 + "new_lr = 0.1 * 8 * 32\n",
        ),
    ],
    "ex3-answer": [
        ("1-based index for the third worker", _EX3 + "third_tf_config = tf_config(hosts3, 3)\n"),
        ("the first worker's TF_CONFIG", _EX3 + "third_tf_config = tf_config(hosts3, 0)\n"),
    ],
}
