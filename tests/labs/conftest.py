"""Fixtures for the lab tests: simulated clusters with the course model deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpers
import helpers.lab

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "cluster" / "manifests"
NOTEBOOKS = sorted((ROOT / "labs").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def sim():
    """An empty simulated cluster (seed 0), closed after the test."""
    cluster = helpers.lab.start("00_setup", backend="sim")
    yield cluster
    cluster.close()


@pytest.fixture
def deployed():
    """A simulated cluster with deployment/model (3 x v1) and service/model rolled out."""
    cluster = helpers.lab.start("03_scale", backend="sim")
    yield cluster
    cluster.close()
