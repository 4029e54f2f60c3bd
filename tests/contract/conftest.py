"""One fixture, ``backend``, over every backend: the simulator, the kube backend on its
HTTP fake, and the real kind cluster when one answers (skipped with the reason otherwise,
failed when the run requires kind). fsspec's abstract tests run the same way."""

from __future__ import annotations

import pytest

import helpers
from tests import manifests, tiers
from tests.contract.backends import Backend


def _sim():
    cluster = helpers.connect("sim", seed=0)
    yield Backend("sim", cluster, controllers=True)
    cluster.close()


def _kube_fake(tmp_path):
    from helpers.kube import KubeCluster
    from tests.kube.fakeapi import FakeApiServer

    with FakeApiServer() as api:
        api.put(manifests.namespace("default"))
        api.put(manifests.node("orchestra-control-plane", control_plane=True))
        for name in ("orchestra-worker", "orchestra-worker2"):
            api.put(manifests.node(name))
        cluster = KubeCluster("fake", kubeconfig=api.kubeconfig(tmp_path), timeout=5.0)
        yield Backend("kube-fake", cluster, controllers=False, _fake=api)
        cluster.close()


def _kube_on_sim(tmp_path):
    """The kube backend (the official client, informers) on the simulator's own API server,
    the simulator in realtime so its controllers run while the client waits."""
    from helpers.kube import KubeCluster
    from helpers.sim import SimCluster

    sim = SimCluster(seed=0, realtime=True, speed=40.0)
    handle = sim.serve_api(kubeconfig=tmp_path / "sim.kubeconfig")
    cluster = KubeCluster("orchestra-sim", kubeconfig=handle.kubeconfig, timeout=10.0)
    yield Backend("kube-on-sim", cluster, controllers=True)
    cluster.close()
    handle.close()
    sim.close()


def _kind():
    from helpers.connect import KIND_CONTEXT
    from helpers.kube import KubeCluster
    from helpers.kube.config import probe

    ok, why = probe(KIND_CONTEXT, timeout=5.0)
    if not ok:
        tiers.unavailable("kind", f"no kind cluster {KIND_CONTEXT!r}: {why}; run `make cluster`")
    import helpers.lab

    cluster = KubeCluster(KIND_CONTEXT)
    helpers.lab.reset(cluster)  # the lab objects of earlier runs go first
    yield Backend("kind", cluster, controllers=True)
    helpers.lab.reset(cluster)
    cluster.close()


@pytest.fixture(params=["sim", "kube-fake", "kube-on-sim", "kind"])
def backend(request, tmp_path):
    make = {"sim": _sim, "kube-fake": lambda: _kube_fake(tmp_path),
            "kube-on-sim": lambda: _kube_on_sim(tmp_path), "kind": _kind}  # fmt: skip
    yield from make[request.param]()
