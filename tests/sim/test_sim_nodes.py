"""Node failures, taint-based evictions, drains with PodDisruptionBudgets, and endpoints.

https://kubernetes.io/docs/concepts/architecture/nodes/#node-controller
https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions
https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/
https://kubernetes.io/docs/concepts/services-networking/service/
"""

import pytest

from helpers.errors import LabTimeout, UnsupportedOnBackend
from helpers.sim import SimCluster
from tests.manifests import MANIFESTS, deployment, service
from tests.sim.simkit import pods_of

W1 = "orchestra-worker"


def node_row(sim, name):
    return next(n for n in sim.snapshot()["nodes"] if n["name"] == name)


def course(sim):
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.apply(MANIFESTS / "model-pdb.yaml")
    sim.wait_rollout("model")


def test_stopped_node_goes_unknown_after_the_grace_period_and_is_tainted(sim):
    course(sim)
    on_w1 = [p["name"] for p in pods_of(sim, "model") if p["node"] == W1]
    sim.sleep(5 - sim.now() % 5)  # at a Lease renewal
    stopped = sim.now()
    sim.stop_node(W1)
    sim.wait(lambda c: node_row(c, W1)["ready"] == "Unknown", 120, "the node to be Unknown")
    # The course cluster's 20 s grace period (cluster/kind.yaml; Kubernetes' default is 50 s),
    # noticed on the node controller's 5 s tick once strictly past it. Measured on the kind
    # cluster made from the same file: NodeNotReady 18-22 s after `docker stop`.
    assert 20 < sim.now() - stopped <= 25
    assert set(node_row(sim, W1)["taints"]) == {
        "node.kubernetes.io/unreachable:NoSchedule",
        "node.kubernetes.io/unreachable:NoExecute",
    }
    assert not any(p["ready"] for p in pods_of(sim, "model") if p["name"] in on_w1)
    assert not set(on_w1) & set(sim.endpoints("model"))
    nodenotready = [e for e in sim.event_rows() if e["reason"] == "NodeNotReady"]
    assert nodenotready[0]["message"] == f"Node {W1} status is now: NodeNotReady"


def test_grace_period_is_an_option():
    sim = SimCluster(seed=0, node_monitor_grace_period=40)
    sim.stop_node(W1)
    sim.wait(lambda c: node_row(c, W1)["ready"] == "Unknown", 120, "Unknown")
    assert sim.now() <= 45


def test_pods_are_evicted_after_300s_and_replaced_elsewhere(sim):
    course(sim)
    on_w1 = {p["name"] for p in pods_of(sim, "model") if p["node"] == W1}
    assert on_w1
    sim.stop_node(W1)
    sim.wait(lambda c: node_row(c, W1)["ready"] == "Unknown", 120, "Unknown")
    lost = sim.now()
    sim.wait(
        lambda c: any(e["reason"] == "TaintManagerEviction" for e in c.event_rows()),
        600,
        "eviction",
    )
    assert sim.now() - lost == pytest.approx(300)
    msgs = [e["message"] for e in sim.event_rows() if e["reason"] == "TaintManagerEviction"]
    assert {m.rsplit("/", 1)[1] for m in msgs} == on_w1
    assert all(m.startswith("Marking for deletion Pod default/") for m in msgs)
    sim.wait_rollout("model")
    running = [p for p in pods_of(sim, "model") if p["status"] == "Running"]
    assert len(running) == 3 and all(p["node"] != W1 for p in running)
    # the kubelet is away, so the evicted pods stay Terminating until the node returns
    assert {p["name"] for p in pods_of(sim, "model") if p["status"] == "Terminating"} == on_w1
    sim.start_node(W1)
    sim.sleep(5)
    assert node_row(sim, W1)["ready"] == "True" and node_row(sim, W1)["taints"] == []
    assert not on_w1 & {p["name"] for p in pods_of(sim, "model")}


def test_a_shorter_toleration_evicts_sooner(sim):
    tol = [
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 30,
        }
    ]
    sim.apply(deployment(replicas=2, pod={"tolerations": tol}))
    sim.wait_rollout("web")
    sim.stop_node(W1)
    sim.wait(lambda c: node_row(c, W1)["ready"] == "Unknown", 120, "Unknown")
    lost = sim.now()
    sim.wait(
        lambda c: any(e["reason"] == "TaintManagerEviction" for e in c.event_rows()),
        600,
        "eviction",
    )
    assert sim.now() - lost == pytest.approx(30)


def test_control_plane_cannot_be_stopped(sim):
    with pytest.raises(UnsupportedOnBackend):
        sim.stop_node("orchestra-control-plane")


def test_drain_evicts_through_the_pdb(sim):
    """minAvailable 2 of 3: evictions wait for replacements to be Ready (429 then retry)."""
    course(sim)
    evicted = sim.drain(W1, timeout=300, delete_emptydir_data=True)
    assert evicted
    assert all(p["node"] != W1 for p in pods_of(sim, "model"))
    sim.wait_rollout("model")
    assert len(sim.endpoints("model")) == 3


def test_eviction_refused_when_the_budget_is_spent(sim):
    sim.apply(deployment(replicas=2))
    sim.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
               "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}})  # fmt: skip
    sim.wait_rollout("web")
    pdb = sim.get("pdb", "web")["status"]
    assert pdb["disruptionsAllowed"] == 0 and pdb["currentHealthy"] == 2
    assert sim.evict(pods_of(sim)[0]["name"]) is False
    with pytest.raises(LabTimeout, match="PodDisruptionBudget"):
        sim.drain(W1, timeout=20)


def test_endpoints_hold_only_ready_pods(sim):
    sim.apply(service())
    sim.apply(deployment(replicas=2))
    changes = []
    sim.subscribe(lambda ch: changes.append(ch) if ch["kind"] == "Service" else None)
    sim.wait_rollout("web")
    names = sorted(p["name"] for p in pods_of(sim))
    assert sim.endpoints("web") == names
    assert changes[-1]["row"]["endpoints"] == names
    ep = sim.get("endpoints", "web")
    assert sorted(a["targetRef"]["name"] for a in ep["subsets"][0]["addresses"]) == names
    sim.delete_pod(names[0])
    assert sim.endpoints("web") == names[1:]  # a terminating pod leaves at once
