"""Fixtures of the simulator tests."""

from __future__ import annotations

import pytest

from course_utils.distribution.simulator import make_logistic_data


@pytest.fixture(scope="module")
def data():
    return make_logistic_data(203, 4, seed=7)  # 203 rows: uneven partitions for most K
