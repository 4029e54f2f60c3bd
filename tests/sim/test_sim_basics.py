"""The simulated cluster's shape, clock and declarative API.

Node names and taints follow kind (https://kind.sigs.k8s.io/docs/user/configuration/);
apply semantics follow https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/
"""

import time

import pytest

import helpers
from helpers.errors import LabTimeout, NotFound
from tests.manifests import MANIFESTS, deployment


def test_topology_is_kinds_with_a_tainted_control_plane(sim):
    """https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/create-cluster-kubeadm/#control-plane-node-isolation"""
    nodes = {n["name"]: n for n in sim.snapshot()["nodes"]}
    assert list(nodes) == ["orchestra-control-plane", "orchestra-worker", "orchestra-worker2"]
    assert nodes["orchestra-control-plane"]["taints"] == [
        "node-role.kubernetes.io/control-plane:NoSchedule"
    ]
    assert nodes["orchestra-worker"]["cpu_allocatable"] == 2.0
    assert nodes["orchestra-worker"]["memory_allocatable"] == 4 * 2**30
    node = sim.get("node", "orchestra-worker2")
    assert node["status"]["allocatable"] == {"cpu": "2", "memory": "4194304Ki", "pods": "110"}


def test_connect_sim_says_it_is_simulated():
    cluster = helpers.connect("sim", seed=1, workers=3)
    assert "simulated cluster" in repr(cluster)
    snap = cluster.snapshot()
    assert snap["simulated"] is True and snap["backend"] == "sim"
    assert len(snap["nodes"]) == 4


def test_virtual_sleep_is_instant(sim):
    start = time.perf_counter()
    sim.sleep(3600)
    assert sim.now() == 3600
    assert time.perf_counter() - start < 1.0


def test_wait_raises_lab_timeout_naming_what(sim):
    with pytest.raises(LabTimeout, match="the moon"):
        sim.wait(lambda c: False, timeout=30, what="the moon")
    assert sim.now() == 30


def test_reapply_changes_nothing(sim):
    """Applying the same manifest twice keeps generation and ReplicaSets."""
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    before = sim.get("deployment", "model")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    after = sim.get("deployment", "model")
    assert after["metadata"]["generation"] == before["metadata"]["generation"] == 1
    assert len(sim.list_objects("ReplicaSet")) == 1


def test_objects_carry_api_server_metadata_and_defaults(sim):
    sim.apply(deployment(replicas=2))
    sim.sleep(10)
    dep = sim.get("deployment", "web")
    meta = dep["metadata"]
    for key in ("uid", "generation", "resourceVersion", "creationTimestamp", "labels"):
        assert key in meta
    spec = dep["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    rs = sim.list_objects("ReplicaSet")[0]
    assert rs["metadata"]["ownerReferences"][0]["name"] == "web"
    pod = sim.list_objects("Pod")[0]
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert pod["status"]["phase"] == "Running"
    tolerations = pod["spec"]["tolerations"]
    assert {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    } in tolerations


def test_missing_objects_raise_not_found(sim):
    with pytest.raises(NotFound, match=r'deployments\.apps "nope" not found'):
        sim.get("deployment", "nope")


def test_apply_a_directory_path_string(sim):
    refs = sim.apply(str(MANIFESTS) + "/")
    assert "deployment/model" in refs and "service/model" in refs
