"""SineData (assignment 4): seeded, on [-pi, pi], a held-out exact grid, loud about bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from course_utils.datasets.sine import SineData, make_sine_data

ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def test_same_seed_gives_the_same_arrays_bitwise():
    a, b, c = make_sine_data(seed=3), make_sine_data(seed=3), make_sine_data(seed=4)
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, c.x_train) and not np.array_equal(a.y_val, c.y_val)


def test_sizes_dtypes_and_range():
    data = make_sine_data(n_train=50, n_val=20, n_test=11)
    assert [len(getattr(data, name)) for name in ARRAYS] == [50, 50, 20, 20, 11, 11]
    for name in ARRAYS:
        array = getattr(data, name)
        assert array.dtype == np.float64 and array.ndim == 1
    for x in (data.x_train, data.x_val, data.x_test):
        assert np.all(np.abs(x) <= np.pi)
    assert repr(data) == "SineData(50 train, 20 val, 11 test points)"


def test_test_grid_is_even_exact_and_spans_the_interval():
    data = make_sine_data(n_test=101)
    assert data.x_test[0] == -np.pi and data.x_test[-1] == np.pi
    assert np.allclose(np.diff(data.x_test), 2 * np.pi / 100)
    assert np.array_equal(data.y_test, np.sin(data.x_test))


def test_noise_sets_the_spread_of_train_and_validation_targets():
    exact = make_sine_data(noise=0.0)
    assert np.array_equal(exact.y_train, np.sin(exact.x_train))
    noisy = make_sine_data(n_train=4000, n_val=4000, noise=0.1)
    for x, y in ((noisy.x_train, noisy.y_train), (noisy.x_val, noisy.y_val)):
        assert 0.09 < np.std(y - np.sin(x)) < 0.11


def test_train_and_validation_points_are_different_draws():
    data = make_sine_data()
    assert not set(data.x_train.tolist()) & set(data.x_val.tolist())
    assert not set(data.x_train.tolist()) & set(data.x_test.tolist())


def test_arrays_are_read_only_copies():
    data = make_sine_data(n_train=10)
    with pytest.raises(ValueError):
        data.x_train[0] = 0.0
    source = np.linspace(-1, 1, 5)
    wrapped = SineData(source, source, source, source, source, source)
    source[0] = 99.0
    assert wrapped.x_train[0] == -1.0


def test_replace_makes_a_checked_variant():
    data = make_sine_data(n_train=10)
    variant = dataclasses.replace(data, y_train=np.zeros(10))
    assert np.array_equal(variant.y_train, np.zeros(10))
    assert np.array_equal(variant.x_train, data.x_train)
    with pytest.raises(ValueError, match="one target per x"):
        dataclasses.replace(data, y_train=np.zeros(9))


@pytest.mark.parametrize(
    "bad",
    [np.array([0.0, np.nan]), np.array([np.inf, 0.0]), np.zeros((2, 2)), np.array([]), 1.0],
)
def test_bad_arrays_are_refused(bad):
    good = np.zeros(2)
    with pytest.raises(ValueError, match="x_val"):
        SineData(good, good, bad, good, good, good)


@pytest.mark.parametrize(
    "kwargs",
    [{"n_train": 1}, {"noise": -0.1}, {"noise": float("nan")}],
)
def test_bad_values_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_sine_data(**kwargs)


@pytest.mark.parametrize("kwargs", [{"n_val": 2.5}, {"n_test": True}, {"noise": "0.1"}])
def test_wrong_types_are_refused_with_a_type_error(kwargs):
    # The package's one rule (course_utils/validation.py): wrong type -> TypeError.
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        make_sine_data(**kwargs)
