"""RollbackTrainer (notebook 02): rolls back to the best checkpoint bitwise, decays the rate,
gives up clearly, checkpoints the initial state, and keeps the in-memory store bounded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.checkpoints import CheckpointPolicy, InMemoryStorage
from course_utils.rollback import Dataset, DivergenceError, DivergencePolicy, RollbackTrainer


@pytest.fixture(scope="module")
def data() -> Dataset:
    return Dataset(seed=0)


def _bits(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float32).view(np.uint32)


def test_initial_state_is_checkpointed_before_the_first_step(data):
    trainer = RollbackTrainer(data, learning_rate=0.1)
    log = trainer.fit(0)
    (save,) = log.saves
    assert (save.step, save.detail["reason"]) == (0, "initial")
    assert trainer.storage.list_checkpoints() == ["ckpt-0000000000"]
    assert trainer.manager.best["value"] == pytest.approx(math.log(2), rel=1e-6)


def test_nan_at_the_first_step_rolls_back_to_the_initial_state(data):
    seen = []
    trainer = RollbackTrainer(data, learning_rate=1e4, batch_size=None)

    def check(trainer, event):
        seen.append((event, trainer.weights.numpy().copy(), float(trainer.bias.numpy())))

    trainer.fit(1, on_rollback=check)
    (event, weights, bias) = seen[0]
    assert event.step == 1 and event.detail["reason"] in ("nan", "inf")
    assert not math.isfinite(trainer.log.losses[1])
    assert (event.detail["restored"], event.detail["restored_step"]) == ("ckpt-0000000000", 0)
    assert np.array_equal(_bits(weights), _bits(np.zeros(2))) and bias == 0.0
    assert trainer.loss() == pytest.approx(math.log(2), rel=1e-6)


def test_rollback_restores_the_best_weights_bitwise(data):
    trainer = RollbackTrainer(
        data, learning_rate=0.5, seed=2, policy=DivergencePolicy(max_rollbacks=20)
    )
    after_step = {0: (trainer.weights.numpy().copy(), trainer.bias.numpy().copy())}
    checked = 0
    for _ in range(80):
        before = len(trainer.log.rollbacks)
        trainer.fit(1)
        if len(trainer.log.rollbacks) > before:
            event = trainer.log.rollbacks[-1]
            expected_w, expected_b = after_step[event.detail["restored_step"]]
            assert np.array_equal(_bits(trainer.weights.numpy()), _bits(expected_w))
            assert np.array_equal(_bits(trainer.bias.numpy()), _bits(expected_b))
            stored = trainer.checkpoint_values(event.detail["restored"])
            assert np.array_equal(_bits(stored["weights"]), _bits(expected_w))
            assert event.detail["restored_loss"] == trainer.manager.best["value"]
            checked += 1
        else:
            after_step[trainer.step] = (trainer.weights.numpy().copy(), trainer.bias.numpy().copy())
    assert checked >= 2, "the scenario should roll back at least twice in 80 steps"


def test_learning_rate_decays_per_rollback_and_is_not_restored(data):
    policy = DivergencePolicy(decay=0.3, max_rollbacks=20)
    trainer = RollbackTrainer(data, learning_rate=2.0, policy=policy, seed=1)
    log = trainer.fit(60)
    assert trainer.rollbacks == len(log.rollbacks) >= 2
    for k, event in enumerate(log.rollbacks, start=1):
        assert event.learning_rate == np.float32(2.0 * 0.3**k)
        following = log.rollbacks[k].step if k < len(log.rollbacks) else math.inf
        used = log.learning_rates[(log.steps > event.step) & (log.steps <= following)]
        assert np.all(used == np.float32(2.0 * 0.3**k))
    assert trainer.learning_rate == np.float32(2.0 * 0.3**trainer.rollbacks)


def test_step_counter_keeps_counting_across_rollbacks(data):
    trainer = RollbackTrainer(
        data, learning_rate=2.0, seed=1, policy=DivergencePolicy(max_rollbacks=20)
    )
    log = trainer.fit(40)
    assert log.rollbacks and int(trainer.state.step) == trainer.step == 40
    names = [event.detail["name"] for event in log.saves]
    assert len(names) == len(set(names))


def test_max_rollbacks_stops_with_a_clear_error(data):
    trainer = RollbackTrainer(data, learning_rate=1e4, policy=DivergencePolicy(max_rollbacks=2))
    with pytest.raises(DivergenceError) as info:
        trainer.fit(50)
    message = str(info.value)
    assert "max_rollbacks=2" in message and "it started at 1e+04" in message
    assert "Try" in message and "standardise" in message
    assert trainer.rollbacks == 2 and trainer.log.of_kind("stop")


def test_max_rollbacks_zero_gives_up_at_the_first_divergence(data):
    trainer = RollbackTrainer(data, learning_rate=1e4, policy=DivergencePolicy(max_rollbacks=0))
    with pytest.raises(DivergenceError, match="at step 1"):
        trainer.fit(5)


def test_tight_spike_factor_rolls_back_on_spikes(data):
    policy = DivergencePolicy(spike_factor=1.02, max_rollbacks=None)
    trainer = RollbackTrainer(data, learning_rate=0.2, policy=policy, seed=0)
    log = trainer.fit(100)
    assert any(event.detail["reason"] == "spike" for event in log.rollbacks)


def test_in_memory_storage_stays_within_its_bound(data):
    trainer = RollbackTrainer(data, learning_rate=0.5, seed=2, max_checkpoints=3)
    log = trainer.fit(200)
    assert len(log.saves) > 5
    assert max(event.detail["held"] for event in log.saves) <= 2
    assert len(trainer.storage.list_checkpoints()) <= trainer.storage.max_checkpoints == 3
    per_checkpoint = trainer.storage.nbytes() / len(trainer.storage.list_checkpoints())
    assert 0 < per_checkpoint < 10_000


def test_a_policy_that_keeps_more_than_the_bound_fails_loudly(data):
    keep_five = CheckpointPolicy(monitor="loss", save_on_improvement=True, keep_latest=5)
    trainer = RollbackTrainer(
        data, learning_rate=0.1, max_checkpoints=3, checkpoint_policy=keep_five
    )
    with pytest.raises(ValueError, match="InMemoryStorage is full"):
        trainer.fit(50)


def test_restart_strategy_goes_back_to_the_initial_weights(data):
    seen = []
    trainer = RollbackTrainer(data, learning_rate=1e4, strategy="restart")
    trainer.fit(1, on_rollback=lambda t, e: seen.append((e, t.weights.numpy().copy())))
    (event, weights) = seen[0]
    assert event.kind == "restart" and np.array_equal(weights, np.zeros(2, np.float32))
    assert trainer.manager is None and trainer.storage.list_checkpoints() == []


def test_without_checkpoints_the_run_stops_at_nan(data):
    trainer = RollbackTrainer(data, learning_rate=0.5, strategy="none", seed=2)
    log = trainer.fit(100)
    (stop,) = log.of_kind("stop")
    assert not math.isfinite(log.final_loss) and stop.step == log.steps[-1] < 100


def test_stable_loss_spikes_but_stays_finite(data):
    trainer = RollbackTrainer(data, learning_rate=5.0, strategy="none", loss="stable", seed=2)
    losses = trainer.fit(60).losses
    assert np.all(np.isfinite(losses)) and losses.max() > 10 * losses[0]


def test_evaluate_reports_losses_and_accuracy(data):
    trainer = RollbackTrainer(data, learning_rate=0.1, batch_size=None)
    trainer.fit(100)
    metrics = trainer.evaluate()
    assert metrics["loss"] < 0.5 and 0.7 < metrics["val_accuracy"] <= 1.0
    assert math.isfinite(metrics["val_loss"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": 0.1, "strategy": "retry"}, ValueError, "strategy"),
        ({"learning_rate": 0.1, "loss": "mse"}, ValueError, "loss"),
        ({"learning_rate": 0.1, "batch_size": 0}, ValueError, "batch_size"),
        ({"learning_rate": 0.1, "batch_size": 10_000}, ValueError, "batch_size"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
        ({"learning_rate": True}, TypeError, "learning_rate"),
        ({"learning_rate": 0.1, "batch_size": 16.0}, TypeError, "batch_size"),
        ({"learning_rate": 0.1, "batch_size": True}, TypeError, "batch_size"),
    ],
)
def test_bad_arguments_are_refused(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        RollbackTrainer(data, **kwargs)


def test_a_dataset_is_required():
    with pytest.raises(TypeError, match="Dataset"):
        RollbackTrainer((np.zeros((4, 2)), np.zeros(4)), learning_rate=0.1)


def test_fit_refuses_negative_steps(data):
    with pytest.raises(ValueError, match="steps"):
        RollbackTrainer(data, learning_rate=0.1).fit(-1)
    with pytest.raises(TypeError, match="steps"):
        RollbackTrainer(data, learning_rate=0.1).fit(10.0)


def test_on_save_sees_every_save_with_the_weights_it_saved(data):
    saved = {}
    trainer = RollbackTrainer(data, learning_rate=0.5, seed=2)

    def remember(trainer, event):
        saved[event.detail["name"]] = trainer.weights.numpy().copy()

    log = trainer.fit(30, on_save=remember)
    assert list(saved) == [event.detail["name"] for event in log.saves]
    for name in trainer.storage.list_checkpoints():
        stored = trainer.checkpoint_values(name)["weights"]
        assert np.array_equal(_bits(stored), _bits(saved[name]))


def test_learning_rate_in_the_checkpoint_undoes_the_decay(data):
    """The mistake of notebook 02's pitfall 2: each rollback brings back the rate that diverged."""
    policy = DivergencePolicy(decay=0.5, max_rollbacks=None)
    mistaken = RollbackTrainer(
        data, learning_rate=0.5, policy=policy, seed=2, checkpoint_learning_rate=True
    )
    log = mistaken.fit(60)
    assert mistaken.rollbacks > 5
    assert {event.learning_rate for event in log.rollbacks} == {np.float32(0.5)}
    assert mistaken.learning_rate == np.float32(0.5) and np.all(log.learning_rates == 0.5)
    right = RollbackTrainer(data, learning_rate=0.5, policy=policy, seed=2)
    right.fit(60)
    assert right.learning_rate == np.float32(0.5 * 0.5**right.rollbacks) < 0.5


def test_a_given_storage_is_used_and_must_be_in_memory(data):
    storage = InMemoryStorage(max_checkpoints=2)
    trainer = RollbackTrainer(data, learning_rate=0.5, seed=2, storage=storage)
    trainer.fit(30)
    assert trainer.storage is storage and storage.list_checkpoints()
    with pytest.raises(TypeError, match="storage"):
        RollbackTrainer(data, learning_rate=0.5, storage={"not": "a storage"})


def test_the_old_aliases_are_gone():
    import course_utils.rollback as rollback

    for alias in ("Trainer", "Event", "EventLog"):
        assert not hasattr(rollback, alias)
