"""The watch cache: list then watch, re-list after 410 Gone, resume after a dropped
connection, and rows that stay a function of the cached manifests.

https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
"""

from __future__ import annotations

import time

from helpers.core.state import apply_change
from tests import manifests


def pod_names(cluster) -> list[str]:
    return [p["name"] for p in cluster.snapshot()["pods"]]


def wait_names(cluster, names, what="the pods") -> None:
    cluster.wait(lambda c: pod_names(c) == names, timeout=10, what=what)


def endpoints(cluster, name="model") -> list[str]:
    return next((s["endpoints"] for s in cluster.snapshot()["services"] if s["name"] == name), [])


def informer(cluster, kind):
    return next(i for i in cluster._informers if i.resource.kind == kind)


def test_pods_added_modified_deleted_through_the_watch(cluster, fake):
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    fake.put(manifests.pod("model-6d4b9c7f5-bbbbb", waiting="ContainerCreating"))
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa", "model-6d4b9c7f5-bbbbb"])
    fake.put(manifests.pod("model-6d4b9c7f5-bbbbb", waiting="ImagePullBackOff"))
    cluster.wait(
        lambda c: "ImagePullBackOff" in [p["status"] for p in c.snapshot()["pods"]],
        timeout=10,
        what="the new status",
    )
    fake.remove("Pod", "model-6d4b9c7f5-aaaaa")
    wait_names(cluster, ["model-6d4b9c7f5-bbbbb"])
    assert informer(cluster, "Pod").relists == 0


def test_watch_expired_by_error_event_relists_and_cache_stays_correct(cluster, fake):
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa"])
    lists_before = fake.count("GET", "/api/v1/pods")
    fake.expire_watches()  # every open watch gets an ERROR event with code 410
    fake.remove("Pod", "model-6d4b9c7f5-aaaaa")
    fake.put(manifests.pod("model-6d4b9c7f5-ccccc"))
    wait_names(cluster, ["model-6d4b9c7f5-ccccc"], "the re-listed pods")
    assert informer(cluster, "Pod").relists >= 1
    assert fake.count("GET", "/api/v1/pods") > lists_before
    # the watch resumed after the re-list: later changes still arrive
    fake.put(manifests.pod("model-6d4b9c7f5-ddddd"))
    wait_names(cluster, ["model-6d4b9c7f5-ccccc", "model-6d4b9c7f5-ddddd"])


def test_watch_expired_with_http_410_relists(cluster, fake):
    fake.watch_gone_http = True
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa"])
    fake.expire_watches()  # open watches end; re-watching from the old version answers 410
    fake.remove("Pod", "model-6d4b9c7f5-aaaaa")
    wait_names(cluster, [], "the re-listed pods")
    assert informer(cluster, "Pod").relists >= 1


def test_dropped_connection_resumes_from_the_last_resource_version(cluster, fake):
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa"])
    inf = informer(cluster, "Pod")
    seen_version = inf.resource_version
    lists = [r for r in fake.requests if r["path"] == "/api/v1/pods" and "watch" not in r["query"]]
    fake.drop_watches()
    fake.put(manifests.pod("model-6d4b9c7f5-bbbbb"))
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa", "model-6d4b9c7f5-bbbbb"])
    assert inf.reconnects >= 1 and inf.relists == 0
    # the reconnect asked for the changes after the version it had seen, not a re-list
    assert fake.count("GET", "/api/v1/pods", watch="true", resourceVersion=seen_version) == 1
    assert len(lists) == 1 and fake.count("GET", "/api/v1/pods") == fake.count(
        "GET", "/api/v1/pods", watch="true"
    ) + len(lists)


def test_close_stops_every_watch_promptly(cluster):
    assert cluster.watches_alive == 6
    started = time.monotonic()
    cluster.close()
    assert time.monotonic() - started < 5.0  # sockets are shut down, not waited out
    assert cluster.watches_alive == 0
    cluster.close()  # safe twice


def test_subscribe_changes_rebuild_the_snapshot(cluster, fake):
    base = cluster.snapshot()
    changes = []
    unsubscribe = cluster.subscribe(changes.append)
    fake.put(manifests.service("model", port=8080, node_port=30080, namespace="default"))
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    fake.put(manifests.endpointslice("model", ["model-6d4b9c7f5-aaaaa"]))
    fake.put(manifests.event("e1", "Started", "model-6d4b9c7f5-aaaaa", "Started container model"))
    cluster.wait(endpoints, timeout=10, what="endpoints")
    cluster.wait(lambda c: c.event_rows(), timeout=10, what="the event")
    # Each kind has its own watch stream: the pod may arrive after the slice and the event.
    cluster.wait(lambda c: c.snapshot()["pods"], timeout=10, what="the pod")
    unsubscribe()
    rebuilt = base
    for change in changes:
        rebuilt = apply_change(rebuilt, change)
    now = cluster.snapshot()
    for section in ("nodes", "pods", "services", "deployments", "events"):
        assert rebuilt[section] == now[section], section
    assert {c["kind"] for c in changes} >= {"Pod", "Node", "Service", "Event"}
    count = len(changes)
    fake.remove("Pod", "model-6d4b9c7f5-aaaaa")
    cluster.wait(lambda c: not c.snapshot()["pods"], timeout=10, what="pod gone")
    assert len(changes) == count  # unsubscribed


def test_rows_follow_endpoints_and_node_requests(cluster, fake):
    """Endpoints list only Ready pods; a node's requests sum its pods' requests.

    https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
    """
    fake.put(manifests.service("model", port=8080, node_port=30080, namespace="default"))
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa", cpu="250m", memory="256Mi"))
    fake.put(manifests.pod("model-6d4b9c7f5-bbbbb", cpu="500m", memory="1Gi", ready=False))
    fake.put(manifests.endpointslice("model", ["model-6d4b9c7f5-aaaaa"], ["model-6d4b9c7f5-bbbbb"]))
    cluster.wait(
        lambda c: endpoints(c) and len(c.snapshot()["pods"]) == 2,
        timeout=10,
        what="endpoints and pods",
    )
    snap = cluster.snapshot()
    svc = next(s for s in snap["services"] if s["name"] == "model")
    assert svc["endpoints"] == ["model-6d4b9c7f5-aaaaa"] and svc["node_port"] == 30080
    flags = {p["name"]: p["endpoint"] for p in snap["pods"]}
    assert flags == {"model-6d4b9c7f5-aaaaa": True, "model-6d4b9c7f5-bbbbb": False}
    worker = next(n for n in snap["nodes"] if n["name"] == "orchestra-worker")
    assert worker["cpu_requested"] == 0.75 and worker["memory_requested"] == 1280 * 2**20
    assert worker["pods"] == 2 and worker["cpu_allocatable"] == 4.0
    control = next(n for n in snap["nodes"] if n["name"] == "orchestra-control-plane")
    assert control["role"] == "control-plane"
    assert control["taints"] == ["node-role.kubernetes.io/control-plane:NoSchedule"]
    table = cluster.pods()
    assert list(table["name"]) == ["model-6d4b9c7f5-aaaaa", "model-6d4b9c7f5-bbbbb"]
    assert list(table["version"]) == ["v1", "v1"]


def test_system_namespaces_stay_out_of_the_tables_but_count_on_nodes(cluster, fake):
    fake.put(manifests.namespace("kube-system"))
    fake.put(manifests.pod("kube-proxy-x1", deployment=None, namespace="kube-system", cpu="100m"))
    cluster.wait(
        lambda c: c.nodes().set_index("name").loc["orchestra-worker", "cpu_requested"] == 0.1,
        timeout=10,
        what="requests",
    )
    assert cluster.snapshot()["pods"] == []


def test_events_table_on_the_cluster_clock(cluster, fake):
    fake.put(manifests.event("e1", "BackOff", "model-x", "Back-off pulling image"))
    cluster.wait(lambda c: len(c.event_rows()) == 1, timeout=10, what="the event")
    table = cluster.events()
    assert list(table.columns) == ["time", "type", "object", "reason", "message"]
    row = table.iloc[0]
    assert (row["type"], row["object"], row["reason"]) == ("Warning", "pod/model-x", "BackOff")
    assert abs(row["time"] - cluster.now()) < 5  # whole-second stamps, same clock


def test_deployment_row_and_a_broken_subscriber(cluster, fake):
    def broken(change):
        raise RuntimeError("a view with a bug")

    cluster.subscribe(broken)
    dep = manifests.deployment("model", namespace="default", image="orchestra/model:v2")
    dep["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    dep["status"] = {
        "replicas": 4,
        "updatedReplicas": 1,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}],
    }
    fake.put(dep)
    cluster.wait(lambda c: c.snapshot()["deployments"], timeout=10, what="the deployment")
    row = cluster.snapshot()["deployments"][0]
    assert (row["version"], row["revision"], row["replicas"], row["total"]) == ("v2", 2, 3, 4)
    assert row["conditions"]["Progressing"]["reason"] == "ReplicaSetUpdated"
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))  # the watch thread survived the bug
    wait_names(cluster, ["model-6d4b9c7f5-aaaaa"])
    assert cluster.store.callback_errors >= 2


def test_a_dropped_cluster_object_stops_its_watches(fake, kubeconfig):
    import gc
    import threading

    from helpers.kube import KubeCluster

    def watch_threads() -> int:
        return sum(t.name.startswith("watch-") and t.is_alive() for t in threading.enumerate())

    before = watch_threads()
    cluster = KubeCluster("fake", kubeconfig=kubeconfig)
    assert watch_threads() == before + 6
    del cluster  # as when a notebook cell re-runs `cluster = helpers.connect()`
    gc.collect()
    deadline = time.monotonic() + 5
    while watch_threads() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watch_threads() == before
