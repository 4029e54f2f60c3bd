"""kubectl drain on the simulator: the checks run on every pod of the node before any eviction.

kubectl drain refuses a pod that declares no controller unless --force, since nothing would
recreate it, and refuses before evicting anything; the node stays cordoned.
https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/
https://kubernetes.io/docs/reference/kubectl/generated/kubectl_drain/
k8s.io/kubectl/pkg/drain/filters.go (unmanagedFatal, daemonSetFilter)
"""

import re

import pytest

from helpers.errors import LabError
from tests.manifests import deployment
from tests.sim.simkit import pods_of

W1 = "orchestra-worker"


def bare_pod(name="x", node=W1, owner=None):
    meta = {"name": name, "labels": {"app": "bare"}}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": "u-1",
             "controller": True}
        ]  # fmt: skip
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "m", "image": "orchestra/model:v1"}]}}  # fmt: skip


def on_node(sim, node=W1):
    return sorted(p["name"] for p in sim.snapshot()["pods"] if p["node"] == node)


def test_a_bare_pod_refuses_the_drain_and_nothing_is_evicted(sim):
    sim.apply(deployment(replicas=4))
    sim.apply(bare_pod())
    sim.wait_rollout("web")
    sim.sleep(5)
    before = on_node(sim)
    assert "x" in before and len(before) > 1
    with pytest.raises(LabError) as err:
        sim.drain(W1)
    assert (
        "cannot delete Pods that declare no controller (use --force to override): default/x"
        in err.value.what
    )
    assert "force=True" in err.value.hint
    sim.sleep(30)
    assert on_node(sim) == before  # nothing evicted: the checks come first
    assert pods_of(sim, "bare")[0]["status"] == "Running"
    assert sim.get("node", W1, namespace=None)["spec"]["unschedulable"] is True  # cordoned


def test_force_evicts_the_bare_pod_for_good(sim):
    sim.apply(bare_pod())
    sim.sleep(5)
    assert sim.drain(W1, force=True) == ["x"]
    sim.sleep(60)
    assert pods_of(sim, "bare") == []  # no controller makes it again


def test_a_pod_whose_daemonset_is_missing_is_an_orphan(sim):
    # The simulator serves no DaemonSet kind, so a pod naming a DaemonSet as its controller
    # is what kubectl meets when that DaemonSet is gone: an error, or evicted with --force.
    sim.apply(bare_pod("logger-abcde", owner=("DaemonSet", "logger")))
    sim.sleep(5)
    with pytest.raises(
        LabError, match=re.escape('daemonsets.apps "logger" not found: default/logger-abcde')
    ):
        sim.drain(W1, ignore_daemonsets=True)
    assert pods_of(sim, "bare")[0]["status"] == "Running"
    assert sim.drain(W1, force=True) == ["logger-abcde"]
