"""The simulator tests' fixture: a fresh virtual-time cluster (seed 0, two workers)."""

from __future__ import annotations

import pytest

from helpers.sim import SimCluster


@pytest.fixture
def sim():
    cluster = SimCluster(seed=0, workers=2)
    yield cluster
    cluster.close()
