"""ClusterView on the kube backend, against the HTTP-level fake API server of tests/kube.

The same widget code as on the simulator: rows arrive through the backend's watch
threads, and the background flusher turns them into patches.
"""

from __future__ import annotations

import pytest

from helpers import kube
from helpers.views.clusterview import ClusterView
from tests import manifests as objects
from tests.kube import fakeapi
from tests.views.conftest import RecordingComm


@pytest.fixture
def cluster(tmp_path):
    with fakeapi.FakeApiServer() as api:
        api.put(objects.namespace("default"))
        api.put(objects.node("orchestra-control-plane", control_plane=True))
        for name in ("orchestra-worker", "orchestra-worker2"):
            api.put(objects.node(name))
        c = kube.KubeCluster("fake", kubeconfig=api.kubeconfig(tmp_path), timeout=5.0)
        c.api_fake = api
        yield c
        c.close()


def chip(comm: RecordingComm, key: str) -> dict | None:
    found = [p["pods"][key] for p in comm.patches() if key in p.get("pods", {})]
    return found[-1] if found else None


def test_clusterview_follows_the_watch_on_a_real_cluster_api(cluster):
    """A pod whose image cannot be pulled waits in ImagePullBackOff and is not Ready
    (kubernetes.io/docs/concepts/containers/images/#imagepullbackoff)."""
    view = ClusterView(cluster, interval=0.05)
    view.comm = comm = RecordingComm()
    try:
        header = view.state["header"]
        assert header["title"] == "cluster fake" and not header["simulated"]
        assert sorted(view.state["nodes"]) == [
            "orchestra-control-plane",
            "orchestra-worker",
            "orchestra-worker2",
        ]
        cluster.api_fake.put(objects.pod("model-6d4b9c7f5-aaaaa"))
        cluster.api_fake.put(
            objects.pod(
                "model-7f7f7f7f7-bbbbb", image="orchestra/model:v9", waiting="ImagePullBackOff"
            )
        )
        ready, pulling = "default/model-6d4b9c7f5-aaaaa", "default/model-7f7f7f7f7-bbbbb"
        comm.wait_for(lambda c: chip(c, ready) and chip(c, pulling), timeout=10)
        assert chip(comm, ready)["state"] == "Ready"
        assert chip(comm, ready)["node"] == "orchestra-worker"
        stuck = chip(comm, pulling)
        assert (stuck["state"], stuck["failed"], stuck["version"]) == (
            "ImagePullBackOff",
            True,
            "v9",
        )
        cluster.api_fake.remove("Pod", "model-6d4b9c7f5-aaaaa")
        comm.wait_for(lambda c: any(ready in p.get("removed", []) for p in c.patches()))
    finally:
        view.stop()
    assert "simulator" not in view.to_html()
