"""The shared Cluster API's contract, the same tests on every backend (see conftest).

Each test states what a notebook relies on, whatever runs the cluster: apply/get/delete
with kubectl's results and errors, the tables' columns, the imperative verbs, waits,
subscriptions. The wording of errors follows the API server's Status messages
(kubernetes.io/docs/reference/using-api/api-concepts/#api-verbs) and kubectl's output.
"""

from __future__ import annotations

import pytest

from helpers.core.state import EVENT_COLUMNS, NODE_COLUMNS, POD_COLUMNS
from helpers.errors import LabError, LabTimeout, ManifestError, NotFound
from tests import manifests
from tests.contract.backends import SETTLE_S


def test_nodes_table_is_the_course_cluster(backend):
    nodes = backend.cluster.nodes()
    assert list(nodes.columns) == NODE_COLUMNS
    roles = dict(zip(nodes["name"], nodes["role"], strict=True))
    assert roles["orchestra-control-plane"] == "control-plane"
    assert sorted(n for n, r in roles.items() if r == "worker") == [
        "orchestra-worker",
        "orchestra-worker2",
    ]
    assert set(nodes["ready"]) == {"True"}


def test_a_deployed_model_shows_in_every_table(backend):
    backend.deploy_model()
    cluster = backend.cluster
    pods = cluster.pods("app=model")
    assert list(pods.columns) == POD_COLUMNS
    assert len(pods) == 3 and set(pods["status"]) == {"Running"}
    assert set(pods["version"]) == {"v1"}
    assert set(pods["node"]) <= {"orchestra-worker", "orchestra-worker2"}
    assert list(cluster.events().columns) == EVENT_COLUMNS
    snap = cluster.snapshot()
    assert {"nodes", "pods", "deployments", "services", "events"} <= set(snap)
    (dep,) = [d for d in snap["deployments"] if d["name"] == "model"]
    assert dep["replicas"] == 3 and dep["ready"] == 3
    (svc,) = [s for s in snap["services"] if s["name"] == "model"]
    assert len(svc["endpoints"]) == 3


def test_get_by_any_kubectl_name_returns_the_object_with_status(backend):
    backend.deploy_model()
    by_kind = backend.cluster.get("Deployment", "model")
    assert by_kind["kind"] == "Deployment" and by_kind["apiVersion"] == "apps/v1"
    assert by_kind["metadata"]["name"] == "model"
    assert by_kind["status"]["readyReplicas"] == 3
    for alias in ("deploy", "deployment", "deployments"):
        assert backend.cluster.get(alias, "model")["metadata"]["uid"] == by_kind["metadata"]["uid"]


def test_get_of_a_missing_object_is_not_found_in_the_api_servers_words(backend):
    with pytest.raises(NotFound, match=r'deployments\.apps "nope" not found'):
        backend.cluster.get("deploy", "nope")
    with pytest.raises(NotFound, match=r'pods "nope" not found'):
        backend.cluster.get("pod", "nope")


def test_apply_returns_kubectl_style_names_and_delete_removes(backend):
    cluster = backend.cluster
    assert cluster.apply(manifests.service("web")) == ["service/web"]
    assert cluster.get("svc", "web")["spec"]["selector"] == {"app": "web"}
    cluster.delete("service", "web")
    cluster.wait(lambda c: _absent(c, "Service", "web"), timeout=SETTLE_S, what="svc/web gone")
    with pytest.raises(NotFound):
        cluster.delete("service", "web")


def test_apply_refuses_a_manifest_without_kind(backend):
    broken = manifests.service("web")
    del broken["kind"]
    with pytest.raises(ManifestError):
        backend.cluster.apply(broken)


def test_scale_and_set_image_change_the_spec(backend):
    backend.deploy_model()
    cluster = backend.cluster
    cluster.scale("model", 4)
    assert cluster.get("deploy", "model")["spec"]["replicas"] == 4
    cluster.set_image("model", "orchestra/model:v2")
    template = cluster.get("deploy", "model")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "orchestra/model:v2"


def test_scale_refuses_negative_replicas(backend):
    backend.deploy_model()
    with pytest.raises(LabError):
        backend.cluster.scale("model", -1)


def test_cordon_and_uncordon(backend):
    cluster = backend.cluster

    def schedulable(c) -> bool:
        return bool(c.nodes().set_index("name").loc["orchestra-worker", "schedulable"])

    cluster.cordon("orchestra-worker")
    cluster.wait(lambda c: not schedulable(c), timeout=SETTLE_S, what="the node cordoned")
    assert cluster.get("Node", "orchestra-worker", namespace=None)["spec"]["unschedulable"]
    cluster.uncordon("orchestra-worker")
    cluster.wait(schedulable, timeout=SETTLE_S, what="the node uncordoned")


def _needs_cluster_time(backend) -> None:
    """The kube backend dates events on the wall clock since it connected; the simulator
    behind its API dates them in cluster time from 2026-01-01, and runs faster than the
    wall clock: comparing an event's time with cluster.now() needs one clock for both."""
    if backend.name == "kube-on-sim":
        pytest.xfail("the kube backend on the simulator's API has no shared clock with it")


def test_drain_refuses_a_bare_pod_and_evicts_nothing(backend):
    """kubectl drain without --force refuses a pod that declares no controller, before any
    eviction; the node stays cordoned and the pod keeps running.
    https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/
    k8s.io/kubectl/pkg/drain/filters.go (unreplicatedFilter)
    """
    cluster = backend.cluster
    lonely = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "lonely-model", "labels": {"app": "lonely"}},
        "spec": {
            "nodeName": "orchestra-worker",
            "containers": [{"name": "model", "image": "orchestra/model:v1"}],
        },
    }
    cluster.apply(lonely)
    try:
        # On kind the DaemonSet pods (kindnet, kube-proxy) add their own refusal.
        with pytest.raises(LabError) as err:
            cluster.drain("orchestra-worker", timeout=SETTLE_S)
        assert (
            "cannot delete Pods that declare no controller (use --force to override): "
            "default/lonely-model" in err.value.what
        )
        assert cluster.get("pod", "lonely-model")["metadata"].get("deletionTimestamp") is None
        assert cluster.get("Node", "orchestra-worker", namespace=None)["spec"]["unschedulable"]
    finally:
        cluster.uncordon("orchestra-worker")
        cluster.delete("pod", "lonely-model")


def test_wait_returns_when_the_predicate_holds_and_times_out_naming_what(backend):
    cluster = backend.cluster
    cluster.wait(lambda c: len(c.nodes()) == 3, timeout=5, what="three nodes")
    with pytest.raises(LabTimeout, match="a fourth node"):
        cluster.wait(lambda c: len(c.nodes()) == 4, timeout=0.5, what="a fourth node")


def test_wait_rollout_of_a_complete_deployment_returns(backend):
    backend.deploy_model()
    backend.cluster.wait_rollout("model", timeout=SETTLE_S)
    assert backend.cluster.rollout_status("model").state == "complete"


def test_subscribe_tells_of_a_change_and_unsubscribe_stops(backend):
    cluster = backend.cluster
    seen: list[dict] = []
    unsubscribe = cluster.subscribe(seen.append)
    cluster.apply(manifests.service("web"))
    cluster.wait(
        lambda c: any(ch.get("kind") == "Service" for ch in seen),
        timeout=SETTLE_S,
        what="a Service change delivered",
    )
    unsubscribe()
    count = len(seen)
    cluster.delete("service", "web")
    cluster.wait(lambda c: _absent(c, "Service", "web"), timeout=SETTLE_S, what="svc/web gone")
    assert len(seen) == count


def _absent(cluster, kind: str, name: str) -> bool:
    try:
        cluster.get(kind, name)
    except NotFound:
        return True
    return False


def _pods(cluster, app: str) -> dict[str, dict]:
    return {p["name"]: p for p in cluster.snapshot()["pods"] if p["labels"].get("app") == app}


def _needs_controllers(backend) -> None:
    if not backend.controllers:
        pytest.skip("an API server without controllers runs no kubelet or scheduler")


def test_a_probe_naming_an_undeclared_port_errors_and_the_pod_never_turns_ready(backend):
    """The API server accepts any well-formed port name; the kubelet cannot resolve it and
    reports the error on every period, keeping readiness at its initial Failure.
    pkg/probe/util.go ResolveContainerPort, pkg/kubelet/prober/prober.go (v1.36)
    https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
    """
    _needs_cluster_time(backend)
    _needs_controllers(backend)
    cluster = backend.cluster
    probe = {"httpGet": {"path": "/readyz", "port": "htp"}, "periodSeconds": 2}
    container = {"ports": [{"name": "http", "containerPort": 8080}], "readinessProbe": probe}
    t0 = cluster.now()
    cluster.apply(manifests.deployment("probe-port", replicas=1, container=container))
    want = (
        'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "htp": '
        "invalid syntax"
    )
    try:
        cluster.wait(
            lambda c: any(
                e["reason"] == "Unhealthy"
                and e["message"] == want
                and e["time"] >= t0 - 2  # event times have 1 s resolution
                for e in c.event_rows()
            ),
            timeout=SETTLE_S,
            what="the kubelet's probe error",
        )
        # The pod has its own watch, which may deliver the container's start after the event.
        cluster.wait(
            lambda c: [p["status"] for p in _pods(c, "probe-port").values()] == ["Running"],
            timeout=SETTLE_S,
            what="pod probe-port Running",
        )
        (pod,) = _pods(cluster, "probe-port").values()
        assert not pod["ready"] and pod["restarts"] == 0
    finally:
        cluster.delete("deployment", "probe-port")


def test_required_anti_affinity_waits_for_a_terminating_pod_to_be_gone(backend):
    """A Terminating pod still counts for pod anti-affinity: its replacement stays Pending
    (FailedScheduling) until the old pod is deleted, then lands on the freed node.
    kubernetes v1.36 pkg/scheduler/framework/plugins/interpodaffinity
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
    """
    _needs_cluster_time(backend)
    _needs_controllers(backend)
    cluster = backend.cluster
    term = {
        "labelSelector": {"matchLabels": {"app": "one-each"}},
        "topologyKey": "kubernetes.io/hostname",
    }
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    pre_stop = {"lifecycle": {"preStop": {"sleep": {"seconds": 15}}}}
    cluster.apply(
        manifests.deployment("one-each", replicas=2, pod={"affinity": affinity}, container=pre_stop)
    )
    try:
        cluster.wait_rollout("one-each", timeout=SETTLE_S)
        before = _pods(cluster, "one-each")
        victim = next(iter(before.values()))
        t0 = cluster.now()
        cluster.delete("pod", victim["name"])

        def refused(c) -> bool:
            return any(
                e["reason"] == "FailedScheduling"
                and "didn't match pod anti-affinity rules" in e["message"]
                and e["time"] >= t0 - 2  # event times have 1 s resolution
                for e in c.event_rows()
            )

        cluster.wait(refused, timeout=SETTLE_S, what="the replacement refused by anti-affinity")
        # Refused while the old pod was still there (it has a 15 s preStop to run).
        assert victim["name"] in _pods(cluster, "one-each")

        def replaced(c) -> bool:
            pods = _pods(c, "one-each")
            new = [p for n, p in pods.items() if n not in before]
            return victim["name"] not in pods and any(
                p["node"] == victim["node"] and p["status"] == "Running" for p in new
            )

        cluster.wait(replaced, timeout=SETTLE_S, what="the replacement running on the freed node")
    finally:
        cluster.delete("deployment", "one-each")
