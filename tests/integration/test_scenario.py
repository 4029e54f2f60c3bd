"""The course scenario on the real kind cluster: deploy, scale, kill a pod, roll forward
under traffic, roll back, a stuck release, and a worker that goes dark.

Each test runs in its own namespace. Kubernetes behaviour checked here:
https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/
https://kubernetes.io/docs/concepts/architecture/nodes/#node-status
"""

from __future__ import annotations

import pytest

from helpers.errors import RolloutStuck
from tests.integration.conftest import MANIFESTS, ready_pods

pytestmark = pytest.mark.kind

DEPLOYMENT = MANIFESTS / "model-deployment.yaml"
SERVING = [DEPLOYMENT, MANIFESTS / "model-service.yaml", MANIFESTS / "model-pdb.yaml"]


def deploy(kube, namespace, sources=(DEPLOYMENT,)):
    refs = []
    for source in sources:
        refs += kube.apply(source, namespace=namespace)
    kube.wait_rollout("model", timeout=240, namespace=namespace)
    return refs


def test_deploy_is_idempotent_and_scales(kube, namespace):
    assert deploy(kube, namespace) == ["deployment/model"]
    generation = kube.get("Deployment", "model", namespace)["metadata"]["generation"]
    kube.apply(DEPLOYMENT, namespace=namespace)  # server-side apply of the same file: no-op
    assert kube.get("Deployment", "model", namespace)["metadata"]["generation"] == generation
    assert len(ready_pods(kube, namespace)) == 3
    changes = []
    unsubscribe = kube.subscribe(changes.append)
    kube.scale("model", 5, namespace=namespace)
    kube.wait_rollout("model", timeout=180, namespace=namespace)
    kube.wait(lambda c: len(ready_pods(c, namespace)) == 5, timeout=120, what="5 ready pods")
    kube.scale("model", 2, namespace=namespace)
    kube.wait(
        lambda c: len([p for p in c.snapshot()["pods"] if p["namespace"] == namespace]) == 2,
        timeout=120,
        what="scale-down to 2 pods",
    )
    unsubscribe()
    assert any(ch["kind"] == "Pod" and ch["type"] == "DELETED" for ch in changes)
    table = kube.pods(namespace=namespace)
    assert set(table["status"]) == {"Running"} and set(table["version"]) == {"v1"}


def test_killed_pod_is_replaced(kube, namespace):
    deploy(kube, namespace)
    victim = ready_pods(kube, namespace)[0]["name"]
    kube.delete_pod(victim, namespace=namespace)
    kube.wait(
        lambda c: (
            len(ready_pods(c, namespace)) == 3
            and victim not in [p["name"] for p in c.snapshot()["pods"]]
        ),
        timeout=180,
        what="a replacement for the killed pod",
    )
    reasons = set(kube.events()["reason"])
    assert {"Killing", "SuccessfulCreate"} <= reasons


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_roll_forward_under_traffic_then_roll_back(kube, namespace, node_port_free):
    deploy(kube, namespace, SERVING)
    kube.wait(lambda c: len(ready_pods(c, namespace)) == 3, timeout=120, what="3 ready pods")
    svc = kube.service("model", namespace)
    assert svc.predict([[0.0] * 64])["version"] == "v1"
    with kube.traffic("model", rps=20, namespace=namespace) as run:
        kube.set_image("model", "orchestra/model:v2", namespace=namespace)
        kube.wait_rollout("model", timeout=300, namespace=namespace)
        start = kube.now()
        kube.wait(lambda c: c.now() - start > 10, timeout=30, what="10 s of traffic on v2")
    summary = run.summary()
    # maxUnavailable 0, readiness probes and the preStop sleep make the rollout seamless.
    assert summary["availability"] >= 0.995, summary
    assert set(summary["versions"]) == {"v1", "v2"}
    tail = run.results[run.results["ok"]].tail(20)
    assert set(tail["version"]) == {"v2"}
    assert kube.rollout_undo("model", namespace=namespace) == 1
    kube.wait_rollout("model", timeout=300, namespace=namespace)
    # The rollout is complete once the v1 pods are available; the v2 pods may still be
    # terminating (their 30 s grace period), so wait for them to go, not assume it.
    kube.wait(
        lambda c: set(c.pods(namespace=namespace)["version"]) == {"v1"},
        timeout=120,
        what="the v2 pods to finish terminating",
    )
    assert sorted(kube.revisions("model", namespace)) == [2, 3]  # rev 1's template is rev 3 now


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_broken_release_is_reported_stuck_and_rolled_back(kube, namespace):
    deploy(kube, namespace)
    kube.set_image("model", "orchestra/model:v3", namespace=namespace)
    with pytest.raises(RolloutStuck) as err:
        kube.wait_rollout("model", timeout=400, namespace=namespace)
    assert err.value.reason == "ProgressDeadlineExceeded"  # 120 s in the course manifest
    assert len(ready_pods(kube, namespace)) == 3  # maxUnavailable 0: v1 still serves
    kube.rollout_undo("model", namespace=namespace)
    kube.wait_rollout("model", timeout=300, namespace=namespace)


def test_missing_image_fails_fast_with_image_pull_back_off(kube, namespace):
    deploy(kube, namespace)
    kube.set_image("model", "orchestra/model:does-not-exist", namespace=namespace)
    with pytest.raises(RolloutStuck) as err:
        kube.wait_rollout("model", timeout=180, namespace=namespace)
    assert err.value.reason in ("ErrImagePull", "ImagePullBackOff")
    # kind's nodes have only the images `make images` loaded: the hint says so.
    assert err.value.hint.startswith("orchestra/model:does-not-exist must be on the nodes")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_drain_respects_the_disruption_budget(kube, namespace):
    """kubectl drain evicts through the Eviction API; the PDB (minAvailable 2) paces it.

    https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/
    """
    deploy(kube, namespace, [DEPLOYMENT, MANIFESTS / "model-pdb.yaml"])
    on = {}
    for p in ready_pods(kube, namespace):
        on.setdefault(p["node"], []).append(p["name"])
    node = max(on, key=lambda n: len(on[n]))  # the worker holding the most model pods
    try:
        # kind's nodes run DaemonSet pods (kindnet, kube-proxy); the model pods have an emptyDir.
        evicted = kube.drain(node, timeout=300, ignore_daemonsets=True, delete_emptydir_data=True)
        assert set(on[node]) <= set(evicted)
        kube.wait(lambda c: len(ready_pods(c, namespace)) == 3, timeout=240, what="3 ready pods")
        assert all(p["node"] != node for p in ready_pods(kube, namespace))
        row = next(n for n in kube.snapshot()["nodes"] if n["name"] == node)
        assert row["schedulable"] is False
    finally:
        kube.uncordon(node)
    kube.wait(
        lambda c: next(n for n in c.snapshot()["nodes"] if n["name"] == node)["schedulable"],
        timeout=30,
        what=f"{node} to be schedulable again",
    )


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(900)
def test_stopped_worker_goes_not_ready_and_comes_back(kube):
    workers = [n["name"] for n in kube.snapshot()["nodes"] if n["role"] == "worker"]
    node = workers[-1]

    def ready(c) -> str:
        return next(n["ready"] for n in c.snapshot()["nodes"] if n["name"] == node)

    kube.stop_node(node)
    try:
        # node-monitor-grace-period (20 s in cluster/kind.yaml) before the node lifecycle
        # controller marks it Unknown; the unreachable taint is a separate, later write.
        kube.wait(lambda c: ready(c) != "True", timeout=180, what=f"{node} to go NotReady")
        assert ready(kube) == "Unknown"

        def tainted(c) -> bool:
            taints = next(n["taints"] for n in c.snapshot()["nodes"] if n["name"] == node)
            return any(t.startswith("node.kubernetes.io/unreachable") for t in taints)

        kube.wait(tainted, timeout=60, what=f"the unreachable taint on {node}")
    finally:
        kube.start_node(node)
    kube.wait(lambda c: ready(c) == "True", timeout=240, what=f"{node} to be Ready again")
