"""Manifests the simulator cannot honour are refused with the field named, never ignored.

Validation rules from https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
and https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
"""

import pytest

from helpers.errors import ManifestError, NotFound
from tests.manifests import MANIFESTS, deployment, service, with_path

T = "spec.template.spec"
C = "spec.template.spec.containers.0"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (
            "spec.strategy",
            {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
            "may not be 0 when maxSurge is 0",
        ),
        ("spec.strategy", {"rollingUpdate": {"maxSurge": "x"}}, "maxSurge"),
        (
            "spec.selector",
            {"matchLabels": {"app": "other"}},
            "`selector` does not match template `labels`",
        ),
        (f"{C}.resources", {"requests": {"cpu": "lots"}}, "resources.requests.cpu"),
        (
            f"{C}.resources",
            {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
            "must be less than or equal to cpu limit",
        ),
        (f"{C}.resources", {"requests": {"nvidia.com/gpu": 1}}, "nvidia.com/gpu"),
        (f"{C}.command", ["python", "x.py"], "containers[0].command"),
        (f"{C}.lifecycle", {"postStart": {"exec": {"command": ["true"]}}}, "lifecycle.postStart"),
        (f"{C}.readinessProbe", {"grpc": {"port": 8080}}, "readinessProbe.grpc"),
        # A name of the wrong form (an undeclared, well-formed one is accepted: it errors
        # at probe time, tests/sim/test_sim_kubelet.py).
        (f"{C}.readinessProbe", {"httpGet": {"port": "Web"}}, "readinessProbe.httpGet.port"),
        (f"{C}.env", [{"name": "MODEL_FAULT_LATENCY_MS", "value": "soon"}], "env"),
        (f"{T}.initContainers", [], "initContainers"),
        (
            f"{T}.topologySpreadConstraints",
            [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                }
            ],
            "topologyKey",
        ),
        (
            f"{T}.affinity",
            {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{}]}},
            "podAffinity.preferred",
        ),
        ("spec.replicas", -1, "spec.replicas"),
    ],
)
def test_unhonourable_deployment_fields_are_named(sim, path, value, field):
    with pytest.raises(ManifestError) as err:
        sim.apply(with_path(deployment(), path, value))
    assert field in str(err.value)
    assert sim.list_objects("Deployment") == []


def test_two_containers_are_refused(sim):
    dep = deployment()
    containers = dep["spec"]["template"]["spec"]["containers"]
    containers.append({**containers[0], "name": "sidecar"})
    with pytest.raises(ManifestError, match="one container per pod"):
        sim.apply(dep)


def test_unknown_kind_and_api_version(sim):
    with pytest.raises(ManifestError, match="kind 'StatefulSet' is not supported"):
        sim.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "x"}})
    with pytest.raises(ManifestError, match="apiVersion 'extensions/v1beta1'"):
        sim.apply(with_path(deployment(), "apiVersion", "extensions/v1beta1"))


def test_service_node_port_range(sim):
    svc = service()
    svc["spec"]["type"] = "NodePort"
    svc["spec"]["ports"][0]["nodePort"] = 80
    with pytest.raises(ManifestError, match="30000-32767"):
        sim.apply(svc)


def test_pdb_needs_exactly_one_bound(sim):
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
           "spec": {"selector": {"matchLabels": {"app": "web"}}}}  # fmt: skip
    with pytest.raises(ManifestError, match="minAvailable and maxUnavailable"):
        sim.apply(pdb)


def test_namespace_must_exist_then_works(sim):
    with pytest.raises(NotFound, match='namespaces "demo" not found'):
        sim.apply(deployment(), namespace="demo")
    sim.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    sim.apply(deployment(), namespace="demo")
    sim.wait_rollout("web", namespace="demo")
    assert len(sim.pods(namespace="demo")) == 3


def test_course_manifests_are_accepted(sim):
    refs = sim.apply(MANIFESTS)
    assert sorted(refs) == [
        "deployment/model",
        "horizontalpodautoscaler/model",
        "poddisruptionbudget/model",
        "service/model",
    ]


def test_pod_spec_is_immutable_but_labels_are_not(sim):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "labels": {"a": "1"}},
           "spec": {"containers": [{"name": "m", "image": "orchestra/model:v1"}]}}  # fmt: skip
    sim.apply(pod)
    sim.sleep(5)
    assert sim.pods().iloc[0]["status"] == "Running"
    with pytest.raises(ManifestError, match="immutable"):
        sim.apply(with_path(pod, "spec.containers.0.image", "orchestra/model:v2"))
    sim.apply(with_path(pod, "metadata.labels", {"a": "2"}))
    assert sim.get("pod", "solo")["metadata"]["labels"] == {"a": "2"}


def test_service_gets_addresses_that_survive_reapply(sim):
    sim.apply(MANIFESTS / "model-service.yaml")
    svc = sim.get("service", "model")
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    assert svc["spec"]["ports"][0]["nodePort"] == 30080
    plain = service("other")
    plain["spec"]["type"] = "NodePort"
    sim.apply(plain)
    port = sim.get("service", "other")["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767 and port != 30080
    sim.apply(plain)
    again = sim.get("service", "other")
    assert again["spec"]["ports"][0]["nodePort"] == port
    assert again["metadata"]["generation"] == 1


def test_deployment_selector_is_immutable(sim):
    sim.apply(deployment())
    changed = with_path(deployment(), "spec.selector", {"matchLabels": {"app": "web", "tier": "x"}})
    changed = with_path(changed, "spec.template.metadata.labels", {"app": "web", "tier": "x"})
    with pytest.raises(ManifestError, match="field is immutable"):
        sim.apply(changed)
