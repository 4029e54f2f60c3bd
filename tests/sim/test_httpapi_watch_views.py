"""Watches of what the simulator computes rather than stores: Events, EndpointSlices and
Endpoints change as the cluster does, so informers (the kube backend's, client-go's) follow
them as on a real API server (kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
"""

from __future__ import annotations

import queue

from helpers.core.paths import MANIFESTS
from helpers.sim import SimCluster
from helpers.sim.httpapi.watches import Watch, WatchHub


def drain(watch: Watch) -> list[tuple[str, dict]]:
    out = []
    while True:
        try:
            out.append(watch.events.get_nowait())
        except queue.Empty:
            return out


def model_cluster() -> SimCluster:
    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout("model")
    return cluster


def start(cluster: SimCluster, hub: WatchHub, kind: str, since=None) -> Watch:
    watch = Watch(kind, "default", None, None)
    with cluster.api.lock:
        hub.start(watch, since, lambda: cluster.list_objects(kind, "default"))
    return watch


def test_an_endpointslice_watch_follows_a_scale():
    cluster = model_cluster()
    hub = WatchHub(cluster.api.store)
    watch = start(cluster, hub, "EndpointSlice")
    (type_, first), *rest = drain(watch)
    assert type_ == "ADDED" and not rest and len(first["endpoints"]) == 3
    assert first["metadata"]["resourceVersion"].isdigit()
    cluster.scale("model", 4)
    cluster.wait_rollout("model")
    changes = drain(watch)
    assert changes and {t for t, _ in changes} == {"MODIFIED"}
    assert len(changes[-1][1]["endpoints"]) == 4  # the new pod, once Ready
    cluster.delete("Service", "model")
    cluster.sleep(1)
    assert [t for t, _ in drain(watch)] == ["DELETED"]
    with cluster.api.lock:
        hub.stop(watch)
    assert hub._derived not in cluster.api.store.subscribers  # no cost once none is open


def test_an_event_watch_from_a_lists_version_sends_only_new_events():
    """An informer lists, then watches from the list's version: the events listed are not
    sent again, each new one is ADDED once, and a repeat raises its count (MODIFIED)."""
    cluster = model_cluster()
    hub = WatchHub(cluster.api.store)
    listed = cluster.list_objects("Event", "default")
    watch = start(cluster, hub, "Event", since=hub.last_rv)
    assert drain(watch) == []
    cluster.scale("model", 5)
    cluster.wait_rollout("model")
    added = [body for type_, body in drain(watch) if type_ == "ADDED"]
    assert any(e["reason"] == "ScalingReplicaSet" and "to 5" in e["message"] for e in added)
    names = {e["metadata"]["name"] for e in listed}
    assert not names & {e["metadata"]["name"] for e in added}
    assert all(e["metadata"]["uid"] and e["metadata"]["creationTimestamp"] for e in added)


def test_a_pod_bound_at_creation_streams_to_a_watch():
    """A pod that names its node (spec.nodeName) skips the scheduler: a watch sees it
    created, then started by that node's kubelet (status.startTime)."""
    cluster = SimCluster(seed=0)
    hub = WatchHub(cluster.api.store)
    watch = Watch("Pod", "default", None, None)
    with cluster.api.lock:
        hub.start(watch, None, lambda: [])
    lonely = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "lonely"},
        "spec": {"nodeName": "orchestra-worker",
                 "containers": [{"name": "model", "image": "orchestra/model:v1"}]},
    }  # fmt: skip
    cluster.apply(lonely)
    seen = drain(watch)
    assert seen[0][0] == "ADDED" and seen[0][1]["spec"]["nodeName"] == "orchestra-worker"
    assert "startTime" not in seen[0][1]["status"]  # the kubelet has not taken it yet
    assert any(body["status"].get("startTime") for _, body in seen[1:])
