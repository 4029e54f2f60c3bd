"""A pod created with spec.nodeName skips the scheduler.

"If the nodeName field is not empty, the scheduler ignores the Pod and the kubelet on the
named node tries to place the Pod on that node. [...] If the named node does not exist, the
Pod will not run, and in some cases may be automatically deleted."
https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename
The deletion is PodGC's orphan pass: a pod bound to a node missing for 40 s (quarantineTime,
pkg/controller/podgc/gc_controller.go) is deleted at once.
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection
"""

import pytest

from helpers.errors import NotFound
from helpers.sim import SimCluster
from helpers.sim.httpapi.watches import Watch, WatchHub


def named_pod(name, node):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node,
                     "containers": [{"name": "m", "image": "orchestra/model:v1"}]}}  # fmt: skip


def events_of(sim, name):
    return [e for e in sim.event_rows() if e["object"] == f"pod/{name}"]


def test_a_named_existing_node_runs_the_pod_without_the_scheduler(sim):
    sim.apply(named_pod("pinned", "orchestra-worker2"))
    sim.sleep(15)
    pod = sim.get("Pod", "pinned")
    assert pod["spec"]["nodeName"] == "orchestra-worker2"
    assert pod["status"]["phase"] == "Running"
    reasons = [e["reason"] for e in events_of(sim, "pinned")]
    assert "Scheduled" not in reasons and "FailedScheduling" not in reasons
    assert "Started" in reasons  # the kubelet on that node ran it


def test_a_named_missing_node_leaves_the_pod_pending_until_podgc_deletes_it(sim):
    sim.apply(named_pod("lost", "orchestra-worker9"))
    sim.sleep(1)
    pod = sim.get("Pod", "lost")
    assert pod["spec"]["nodeName"] == "orchestra-worker9"
    # Nobody wrote its status: Pending, no conditions (not even PodScheduled), no IP.
    assert pod["status"]["phase"] == "Pending"
    assert "conditions" not in pod["status"] and "podIP" not in pod["status"]
    row = next(p for p in sim.snapshot()["pods"] if p["name"] == "lost")
    assert row["status"] == "Pending" and row["node"] == "orchestra-worker9"
    assert events_of(sim, "lost") == []  # neither the scheduler nor a kubelet saw it
    sim.sleep(37.5)  # 38.5 s old: still in PodGC's quarantine
    assert sim.get("Pod", "lost")["status"]["phase"] == "Pending"
    sim.sleep(2)  # 40.5 s: deleted
    with pytest.raises(NotFound):
        sim.get("Pod", "lost")


def test_podgc_writes_failed_and_disruption_target_before_it_deletes_the_orphan():
    """markFailedAndDeletePodWithCondition: the status patch comes first, so a watcher sees
    phase Failed with DisruptionTarget (DeletionByPodGC, "PodGC: node no longer exists"),
    then the deletion (https://kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-conditions)."""
    cluster = SimCluster(seed=0)
    hub = WatchHub(cluster.api.store)
    cluster.apply(named_pod("lost", "orchestra-worker9"))
    watch = Watch("Pod", "default", None, None)
    with cluster.api.lock:
        hub.start(watch, None, lambda: cluster.list_objects("Pod", "default"))
    cluster.sleep(41)
    seen = []
    while not watch.events.empty():
        type_, obj = watch.events.get_nowait()
        if obj["metadata"]["name"] == "lost":
            seen.append((type_, obj["status"]))
    assert [t for t, _ in seen] == ["ADDED", "MODIFIED", "DELETED"]
    assert seen[0][1]["phase"] == "Pending"
    failed = seen[1][1]
    assert failed["phase"] == "Failed"
    (condition,) = failed["conditions"]
    assert condition["type"] == "DisruptionTarget" and condition["status"] == "True"
    assert condition["reason"] == "DeletionByPodGC"
    assert condition["message"] == "PodGC: node no longer exists"


def test_deleting_an_orphan_waits_for_podgc(sim):
    """No kubelet confirms the graceful delete, so the pod stays Terminating until PodGC."""
    sim.apply(named_pod("lost", "orchestra-worker9"))
    sim.sleep(5)
    sim.delete_pod("lost")
    sim.sleep(30)  # well past the 30 s grace period
    row = next(p for p in sim.snapshot()["pods"] if p["name"] == "lost")
    assert row["status"] == "Terminating"
    sim.sleep(6)  # 41 s after creation
    assert all(p["name"] != "lost" for p in sim.snapshot()["pods"])
