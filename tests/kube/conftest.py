"""Fixtures: a fake API server with a kind-like cluster in it, and a KubeCluster on it."""

from __future__ import annotations

import pytest

from helpers.kube import KubeCluster
from tests import manifests
from tests.kube.fakeapi import FakeApiServer

WORKERS = ("orchestra-worker", "orchestra-worker2")


@pytest.fixture
def fake():
    with FakeApiServer() as api:
        api.put(manifests.namespace("default"))
        api.put(manifests.node("orchestra-control-plane", control_plane=True))
        for name in WORKERS:
            api.put(manifests.node(name))
        yield api


@pytest.fixture
def kubeconfig(fake, tmp_path):
    return fake.kubeconfig(tmp_path)


@pytest.fixture
def cluster(fake, kubeconfig):
    c = KubeCluster("fake", kubeconfig=kubeconfig, timeout=5.0)
    yield c
    c.close()
