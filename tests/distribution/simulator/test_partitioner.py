"""DataPartitioner: every item goes to exactly one worker, whatever the sizes (notebook 07)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.distribution.simulator import DataPartitioner


def assert_exactly_once(parts, num_items):
    joined = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    assert joined.dtype == np.int64
    assert sorted(joined.tolist()) == list(range(num_items))


@pytest.mark.parametrize("num_workers", [1, 2, 3, 4, 7, 16, 64])
@pytest.mark.parametrize("num_items", [0, 1, 2, 5, 63, 64, 65, 1000])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_item_goes_to_exactly_one_worker(num_items, num_workers, shuffle):
    parts = DataPartitioner(num_workers, shuffle=shuffle, seed=3).partition(num_items)
    assert len(parts) == num_workers
    assert_exactly_once(parts, num_items)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1  # as even as possible


@settings(max_examples=200, deadline=None, database=None)
@given(
    num_items=st.integers(0, 500),
    num_workers=st.integers(1, 80),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    failed_fraction=st.floats(0.0, 0.9),
)
def test_partition_and_reassign_keep_exactly_once(
    num_items, num_workers, shuffle, seed, failed_fraction
):
    parts = DataPartitioner(num_workers, shuffle=shuffle, seed=seed).partition(num_items)
    assert_exactly_once(parts, num_items)
    failed = list(range(0, num_workers, 2))[: int(failed_fraction * num_workers)]
    new, extra = DataPartitioner.reassign(parts, failed)
    assert_exactly_once(new, num_items)
    for i in failed:
        assert len(new[i]) == 0 and len(extra[i]) == 0
    for i in set(range(num_workers)) - set(failed):
        assert np.array_equal(new[i], np.concatenate([parts[i], extra[i]]))


def test_more_workers_than_items_leaves_some_workers_empty():
    parts = DataPartitioner(5).partition(3)
    assert [len(p) for p in parts] == [1, 1, 1, 0, 0]


def test_shuffling_is_seeded():
    a = DataPartitioner(3, shuffle=True, seed=1).partition(30)
    b = DataPartitioner(3, shuffle=True, seed=1).partition(30)
    c = DataPartitioner(3, shuffle=True, seed=2).partition(30)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert not np.array_equal(np.concatenate(a), np.arange(30))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"num_workers": 0}, ValueError),
        ({"num_workers": -2}, ValueError),
        ({"num_workers": 2.5}, TypeError),
        ({"num_workers": True}, TypeError),
        ({"num_workers": "3"}, TypeError),
        ({"num_workers": 2.0}, TypeError),
        ({"num_workers": 2, "seed": 1.0}, TypeError),
        ({"num_workers": 2, "seed": -1}, ValueError),
        ({"num_workers": 2, "shuffle": "yes"}, TypeError),
    ],
)
def test_bad_constructor_arguments_raise(kwargs, error):
    with pytest.raises(error):
        DataPartitioner(**kwargs)


@pytest.mark.parametrize(("num_items", "error"), [(-1, ValueError), (3.0, TypeError)])
def test_bad_item_counts_raise(num_items, error):
    with pytest.raises(error, match="num_items"):
        DataPartitioner(2).partition(num_items)


def test_reassign_rejects_bad_indices_and_total_failure():
    parts = DataPartitioner(3).partition(9)
    with pytest.raises(ValueError, match="outside"):
        DataPartitioner.reassign(parts, [3])
    with pytest.raises(ValueError, match="all 3 workers failed"):
        DataPartitioner.reassign(parts, [0, 1, 2])
    for bad in (True, "1", 1.0):
        with pytest.raises(TypeError, match="failed worker index must be an int"):
            DataPartitioner.reassign(parts, [bad])
    new, _ = DataPartitioner.reassign(parts, [np.int64(1)])  # NumPy integers are ints
    assert sorted(np.concatenate(new).tolist()) == list(range(9)) and len(new[1]) == 0
