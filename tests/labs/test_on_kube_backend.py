"""The checks and lab glue on the kube backend, against the fake API server of tests/kube
(real HTTP, the official client): what the notebooks call must mean the same on kind."""

from __future__ import annotations

import helpers.lab
from helpers import checks
from tests import manifests
from tests.kube.conftest import cluster, fake, kubeconfig  # noqa: F401 (pytest fixtures)

PODS = ("model-6d4b9c7f5-aaaaa", "model-6d4b9c7f5-bbbbb", "model-6d4b9c7f5-ccccc")


def _deploy(api, ready: int = 3) -> None:
    dep = manifests.deployment("model", namespace="default")
    dep["status"] = {"replicas": 3, "readyReplicas": ready, "updatedReplicas": 3}
    api.put(dep)
    for i, name in enumerate(PODS):
        api.put(manifests.pod(name, node_name=f"orchestra-worker{'2' if i else ''}"))
    api.put(manifests.service("model", port=8080, node_port=30080, namespace="default"))
    api.put(manifests.endpointslice("model", list(PODS)))


def _seen(kube, count: int) -> None:
    kube.wait(lambda c: len(c.snapshot()["pods"]) == count, timeout=5, what="pods in the watch")


def test_checks_read_the_real_api(cluster, fake):  # noqa: F811 (fixtures)
    _deploy(fake)
    _seen(cluster, 3)
    assert checks.worker_count(cluster, 2)
    assert checks.replicas(cluster, "model", 3)
    wrong = checks.replicas(cluster, "model", 5)
    assert not wrong and "kubectl scale deployment/model --replicas=5" in wrong.hint
    assert checks.selector(cluster, "app=model")
    assert checks.spread(cluster, "app=model", nodes=2)
    assert checks.endpoints(cluster, "model", 3)


def test_pending_reason_reads_kube_events(cluster, fake):  # noqa: F811 (fixtures)
    message = "0/3 nodes are available: 1 node(s) had untolerated taint, 2 Insufficient cpu."
    fake.put(manifests.event("model-x.1", "FailedScheduling", "model-x", message))
    cluster.wait(lambda c: len(c.events()) == 1, timeout=5, what="the event")
    assert checks.pending_reason(cluster, "Insufficient cpu")
    assert not checks.pending_reason(cluster, "Insufficient memory")


def test_kubectl_translator_on_kube(cluster, fake, builtin_kubectl):  # noqa: F811 (fixtures)
    _deploy(fake)
    _seen(cluster, 3)
    assert helpers.lab.kubectl("get nodes", cluster)["name"].iloc[0] == "orchestra-control-plane"
    assert len(helpers.lab.kubectl("get pods -l app=model", cluster)) == 3
    helpers.lab.kubectl("scale deployment/model --replicas=5", cluster)
    assert cluster.get("deployment", "model")["spec"]["replicas"] == 5


def test_reset_on_a_clean_kube_cluster_returns_at_once(cluster):  # noqa: F811 (fixtures)
    helpers.lab.reset(cluster)  # nothing to delete: every NotFound is expected
    assert list(helpers.lab.node_labels(cluster)["role"]) == ["control-plane", "worker", "worker"]


def test_recover_does_not_count_a_terminating_pod(cluster, fake):  # noqa: F811 (fixtures)
    # Real kind, measured: right after delete_pod the killed pod is still Ready while it
    # shuts down (deletionTimestamp set, 30 s grace), and readyReplicas is not yet lower.
    import threading

    _deploy(fake)
    _seen(cluster, 3)
    killed = fake.obj("Pod", PODS[0])
    killed["metadata"]["deletionTimestamp"] = killed["metadata"]["creationTimestamp"]
    fake.put(killed)
    cluster.wait(
        lambda c: "Terminating" in set(c.pods()["status"]), timeout=5, what="the pod terminating"
    )
    t0 = cluster.now()

    def replacement() -> None:
        fake.remove("Pod", PODS[0])
        fake.put(manifests.pod("model-6d4b9c7f5-ddddd", node_name="orchestra-worker2"))

    threading.Timer(0.5, replacement).start()
    took = helpers.lab.recover(cluster, "model", since=t0, timeout=10)
    assert took >= 0.4  # it waited for the replacement, not 0.0 s
    assert "model-6d4b9c7f5-ddddd" in set(cluster.pods()["name"])
