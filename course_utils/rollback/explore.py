"""Plain functions behind notebook 02's widget and comparison table (no ipywidgets here).

``rollback_run`` trains one small rollback run and caches the result, so that moving a slider
back to a value already seen answers instantly; ``compare_strategies`` runs the three
strategies over several batch-sampler seeds and returns table rows. Taught in notebook 02.
"""

from __future__ import annotations

import dataclasses
import functools

from course_utils.datasets.tabular import Dataset
from course_utils.rollback.divergence import DivergenceError, DivergencePolicy
from course_utils.rollback.events import TrainingEventLog
from course_utils.rollback.trainer import RollbackTrainer

__all__ = ["RunResult", "default_dataset", "rollback_run", "compare_strategies", "strategy_row"]


@dataclasses.dataclass(frozen=True)
class RunResult:
    """One run: its event log, how many rollbacks, and the error if it gave up."""

    log: TrainingEventLog
    rollbacks: int
    final_loss: float
    learning_rate: float
    error: str | None = None

    def summary(self) -> str:
        verdict = f"gave up: {self.error.split(';')[0]}" if self.error else "finished"
        return (
            f"{self.rollbacks} rollbacks, final loss {self.final_loss:.4g}, "
            f"learning rate now {self.learning_rate:.4g} ({verdict})"
        )


@functools.lru_cache(maxsize=4)
def default_dataset(seed: int = 0) -> Dataset:
    """The notebook's dataset (cached: built once per seed)."""
    return Dataset(seed=seed)


@functools.lru_cache(maxsize=256)
def rollback_run(
    learning_rate: float,
    spike_factor: float | None,
    decay: float,
    *,
    steps: int = 150,
    max_rollbacks: int | None = 10,
    sampler_seed: int = 2,
    dataset_seed: int = 0,
) -> RunResult:
    """Train a ``RollbackTrainer`` for ``steps`` steps and return what happened (cached).

    A ``DivergenceError`` (too many rollbacks) is caught and reported in ``RunResult.error``.
    """
    policy = DivergencePolicy(spike_factor=spike_factor, decay=decay, max_rollbacks=max_rollbacks)
    trainer = RollbackTrainer(
        default_dataset(dataset_seed), learning_rate=learning_rate, policy=policy,
        seed=sampler_seed,
    )  # fmt: skip
    error = None
    try:
        trainer.fit(steps)
    except DivergenceError as exc:
        error = str(exc)
    return RunResult(
        trainer.log, trainer.rollbacks, trainer.log.final_loss, trainer.learning_rate, error
    )


def strategy_row(trainer: RollbackTrainer, *, seed: int, target: float) -> dict:
    """One table row for a finished run: final loss, recoveries, steps lost, first below target."""
    log = trainer.log
    return {
        "seed": seed,
        "strategy": trainer.strategy,
        "final_loss": log.final_loss,
        "recoveries": trainer.rollbacks,
        "steps_lost": log.steps_lost(),
        "first_below_target": log.first_step_below(target),
    }


def compare_strategies(
    dataset: Dataset,
    *,
    learning_rate: float,
    steps: int,
    target: float,
    sampler_seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    strategies: tuple[str, ...] = ("none", "restart", "rollback"),
    policy: DivergencePolicy | None = None,
) -> list[dict]:
    """Run each strategy with each sampler seed; one ``strategy_row`` per run (for a table)."""
    policy = policy or DivergencePolicy(max_rollbacks=20)
    rows = []
    for seed in sampler_seeds:
        for strategy in strategies:
            trainer = RollbackTrainer(
                dataset, learning_rate=learning_rate, strategy=strategy, policy=policy, seed=seed
            )
            trainer.fit(steps)
            rows.append(strategy_row(trainer, seed=seed, target=target))
    return rows
