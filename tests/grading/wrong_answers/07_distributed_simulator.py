"""Wrong answers students really write for notebooks/07_distributed_simulator.ipynb."""

_EX1 = (
    "# Five sizes, worker-0 first, worked out from the rule of Step 1 (not by running the"
    " partitioner).\n"
)
_EX2 = (
    "def combine_sums(gradient_sums, counts):\n"
    '    """The full-batch mean gradient from each worker\'s sum of row gradients and its row'
    ' count."""\n'
)
_EX3 = "# A number of seconds, worked out by hand (Step 5), not measured.\n"
_EX4 = (
    "# crash_server = CentralServer(3, LogisticGradientWork(x, y), learning_rate=LR, ...)\n"
    "# crash_run = crash_server.run(STEPS)\n"
)

WRONG_ANSWERS = {
    "ex1-answer": [
        ("the remainder all on the last worker", _EX1 + "partition_sizes = [4, 4, 4, 4, 7]\n"),
        ("rounded up for every worker but the last", _EX1 + "partition_sizes = [5, 5, 5, 5, 3]\n"),
    ],
    "ex2-answer": [
        (
            "a plain mean of the sums",
            _EX2 + "    return np.mean(np.asarray(gradient_sums), axis=0)\n",
        ),
        (
            "the sum of the sums, never divided by the row count",
            _EX2 + "    return np.sum(np.asarray(gradient_sums), axis=0)\n",
        ),
    ],
    "ex3-answer": [
        (
            "the delays added up, as if the workers ran one after the other",
            _EX3 + "predicted_round = 0.01 + 0.03 + 0.06\n",
        ),
        ("the slowest worker's extra delay without its batch", _EX3 + "predicted_round = 0.06\n"),
    ],
    "ex4-answer": [
        (
            "reassign left at its default (False): the run stops with WorkerFailure",
            _EX4 + "crash_server = CentralServer(\n"
            "    3,\n"
            "    LogisticGradientWork(x, y),\n"
            "    learning_rate=LR,\n"
            '    faults={0: Fault("raise", round=1)},\n'
            ")\n"
            "crash_run = crash_server.run(STEPS)\n",
        ),
        (
            "the fault put on worker 1 (counting workers from 1)",
            _EX4 + "crash_server = CentralServer(\n"
            "    3,\n"
            "    LogisticGradientWork(x, y),\n"
            "    learning_rate=LR,\n"
            '    faults={1: Fault("raise", round=1)},\n'
            "    reassign=True,\n"
            ")\n"
            "crash_run = crash_server.run(STEPS)\n",
        ),
    ],
}
