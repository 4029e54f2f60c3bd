"""The simulator tests' fixtures: a fresh virtual-time cluster (seed 0, two workers)."""

from __future__ import annotations

import pytest

import helpers
from helpers.sim import SimCluster


@pytest.fixture
def sim():
    cluster = SimCluster(seed=0, workers=2)
    yield cluster
    cluster.close()


@pytest.fixture
def cluster():
    """The cluster as a lab opens it (helpers.connect), checked for subscriber errors."""
    c = helpers.connect("sim", seed=0)
    yield c
    c.close()
    assert c.store.callback_errors == []  # a failing subscriber is kept there, not raised
