"""Wrong answers students really write for notebooks/02_logistic_regression_rollback.ipynb."""

_EX1_HEAD = "# ex1_decay = ...  (a number in (0, 1]); the run below uses it\n"
_EX1_TAIL = """\
ex1_run = RollbackTrainer(data, learning_rate=2.0, seed=SAMPLER_SEED,
                          policy=DivergencePolicy(decay=ex1_decay, max_rollbacks=10))
ex1_run.fit(STEPS)
print(f"decay={ex1_decay}: {ex1_run.rollbacks} rollbacks, final loss {ex1_run.log.final_loss:.4f}")
"""
_EX2_HEAD = """\
# ex2_data = copy.copy(data); ex2_data.x_train = ...; ex2_data.x_val = ...
# ex2_run = RollbackTrainer(ex2_data, learning_rate=LR0, seed=SAMPLER_SEED); ex2_run.fit(STEPS)
"""
_EX2_TAIL = """\
ex2_run = RollbackTrainer(ex2_data, learning_rate=LR0, seed=SAMPLER_SEED)
ex2_run.fit(STEPS)
print(f"training feature std {np.round(ex2_data.feature_stds(), 2)}: "
      f"{ex2_run.rollbacks} rollbacks, final loss {ex2_run.log.final_loss:.4f}")
"""
_EX3_HEAD = """\
candidates = [0.05, 0.1, 0.2, 0.3, 0.5]

# search the candidates in increasing order; ex3_smallest_diverging = ...
"""
_EX3_TAIL = 'print("smallest diverging learning rate:", ex3_smallest_diverging)\n'

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            "the decay the DivergenceError message suggests (0.25): it rolls back 3 times",
            _EX1_HEAD + "ex1_decay = 0.25\n" + _EX1_TAIL,
        ),
        (
            "decay = 1: the same divergence again and again until max_rollbacks stops the run",
            _EX1_HEAD + "ex1_decay = 1.0\n" + _EX1_TAIL,
        ),
    ],
    "ex2-answer": [
        (
            "statistics of the training and validation rows together",
            _EX2_HEAD
            + """\
all_rows = np.concatenate([data.x_train, data.x_val])
ex2_mean, ex2_std = all_rows.mean(axis=0), all_rows.std(axis=0)
ex2_data = copy.copy(data)
ex2_data.x_train = (data.x_train - ex2_mean) / ex2_std
ex2_data.x_val = (data.x_val - ex2_mean) / ex2_std
"""
            + _EX2_TAIL,
        ),
        (
            "each split standardised with its own statistics",
            _EX2_HEAD
            + """\
ex2_data = copy.copy(data)
ex2_data.x_train = (data.x_train - data.x_train.mean(axis=0)) / data.x_train.std(axis=0)
ex2_data.x_val = (data.x_val - data.x_val.mean(axis=0)) / data.x_val.std(axis=0)
"""
            + _EX2_TAIL,
        ),
    ],
    "ex3-answer": [
        (
            "no break: the loop keeps the last (largest) diverging rate",
            _EX3_HEAD
            + """\
ex3_smallest_diverging = None
for lr in candidates:
    run = RollbackTrainer(data, learning_rate=lr, strategy="none", seed=SAMPLER_SEED)
    if run.fit(STEPS).diverged():
        ex3_smallest_diverging = lr
"""
            + _EX3_TAIL,
        ),
        (
            "the largest rate that does not diverge",
            _EX3_HEAD
            + """\
ex3_smallest_diverging = None
for lr in candidates:
    run = RollbackTrainer(data, learning_rate=lr, strategy="none", seed=SAMPLER_SEED)
    if not run.fit(STEPS).diverged():
        ex3_smallest_diverging = lr
"""
            + _EX3_TAIL,
        ),
    ],
}
