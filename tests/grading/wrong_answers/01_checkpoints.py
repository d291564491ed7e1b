"""Wrong answers students really write for notebooks/01_checkpoints.ipynb."""

_EX2_HEAD = """\
CRASH_AFTER = 35  # the first trainer stops here: the crash
# A fresh URL each time this cell runs, so that a re-run does not find the last run's checkpoints.
ex2_url = f"memory://exercise-2/run-{time.time_ns()}"
# ex2_storage = ...; ex2_first = ...; ex2_first_log = ...; ex2_second = ...; ex2_second_log = ...
"""
_EX2_TAIL = """\
print(f"second trainer resumed from step {ex2_second_log.resumed_from}; "
      f"stored now: {ex2_storage.list_checkpoints()}")
"""
_EX3_HEAD = (
    "# ex3_policy = CheckpointPolicy(...); ex3_storage = InMemoryStorage(); ex3_run = ...; "
    "ex3_log = ...\n"
)
_EX3_TAIL = """\
ex3_storage = InMemoryStorage()
ex3_run = build_trainer(ex3_storage, policy=ex3_policy)
ex3_log = ex3_run.fit(40)
print("kept:", ex3_storage.list_checkpoints(), f"({ex3_storage.nbytes() / 1e3:.0f} kB in memory)")
"""

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            "the value printed in section 3 (a save every 10 steps, a kill inside the save of step "
            "40)",
            "# steps_redone = ...  (a whole number of steps)\nsteps_redone = 10\n",
        ),
        (
            "off by one: counts the step of the last save as redone too",
            "# steps_redone = ...  (a whole number of steps)\nsteps_redone = 90 - 75 + 1\n",
        ),
    ],
    "ex2-answer": [
        (
            "no crash and no resume: one uninterrupted run on the object store",
            _EX2_HEAD
            + """\
ex2_storage = CloudStorage(ex2_url)
ex2_first = build_trainer(ex2_storage, seed=42, every_n_steps=SAVE_EVERY)
ex2_first_log = ex2_first.fit(TOTAL_STEPS)
ex2_second, ex2_second_log = ex2_first, ex2_first_log
"""
            + _EX2_TAIL,
        ),
        (
            "the second trainer writes to a new URL: it trains from scratch, and its weights equal "
            "the reference only because nothing was resumed",
            _EX2_HEAD
            + """\
ex2_storage = CloudStorage(ex2_url)
ex2_first = build_trainer(ex2_storage, seed=42, every_n_steps=SAVE_EVERY)
ex2_first_log = ex2_first.fit(CRASH_AFTER)
ex2_second = build_trainer(CloudStorage(ex2_url + "-resumed"), seed=42, every_n_steps=SAVE_EVERY)
ex2_second_log = ex2_second.fit(TOTAL_STEPS)
"""
            + _EX2_TAIL,
        ),
    ],
    "ex3-answer": [
        (
            "keeps only the single best (keep_best=1)",
            _EX3_HEAD
            + 'ex3_policy = CheckpointPolicy(every_n_steps=4, monitor="loss", keep_latest=1, '
            "keep_best=1)\n" + _EX3_TAIL,
        ),
        (
            "keeps the 2 newest as well as the 2 best (keep_latest=2)",
            _EX3_HEAD
            + 'ex3_policy = CheckpointPolicy(every_n_steps=4, monitor="loss", keep_latest=2, '
            "keep_best=2)\n" + _EX3_TAIL,
        ),
    ],
}
