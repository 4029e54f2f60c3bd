"""The simulator tests' fixtures: a fresh virtual-time cluster (seed 0, two workers)."""

from __future__ import annotations

import pytest

import helpers
from helpers.core.paths import MANIFESTS
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


@pytest.fixture
def apps(tmp_path):
    """(a simulated cluster with the model rolled out, serving its API; an official-client
    ApiClient for it)."""
    from kubernetes import config

    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.wait_rollout("model")
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    api_client = config.new_client_from_config(config_file=str(tmp_path / "kubeconfig"))
    yield cluster, api_client
    api_client.close()
    handle.close()
    cluster.close()
