"""The model manifests against the invariants the labs rely on and the "restricted" Pod
Security Standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/).

The PSS checks follow the standard's "Restricted" table (which also includes every
"Baseline" control that a Deployment can express): no host namespaces, no privileged
containers, only allowed volume types, no hostPorts, allowPrivilegeEscalation false,
runAsNonRoot true, runAsUser not 0, seccomp RuntimeDefault or Localhost, capabilities
dropping ALL and adding at most NET_BIND_SERVICE.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from orchestra_model import server

from .conftest import MODEL_DIR, ROOT

MANIFESTS = ROOT / "cluster" / "manifests"
NAIVE = MANIFESTS / "naive" / "model-naive.yaml"
# Volume types the restricted profile allows.
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def folder_objects() -> list[dict]:
    """What `kubectl apply -f cluster/manifests/` applies (not recursive)."""
    return [doc for path in sorted(MANIFESTS.glob("*.y*ml")) for doc in load(path)]


def by_kind(kind: str) -> dict:
    matches = [
        o for o in folder_objects() if o["kind"] == kind and o["metadata"]["name"] == "model"
    ]
    assert len(matches) == 1, f"expected one {kind}/model in {MANIFESTS}, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="module")
def deployment() -> dict:
    return by_kind("Deployment")


@pytest.fixture(scope="module")
def pod_spec(deployment) -> dict:
    return deployment["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def container(pod_spec) -> dict:
    (only,) = pod_spec["containers"]
    return only


def all_containers(pod_spec: dict) -> list[dict]:
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def effective(pod_spec: dict, container: dict, key: str):
    """A container's security setting, falling back to the pod's (how Kubernetes reads it)."""
    value = container.get("securityContext", {}).get(key)
    return value if value is not None else pod_spec.get("securityContext", {}).get(key)


# ---- restricted Pod Security Standard ---------------------------------------------------


def test_pss_no_host_namespaces_or_privileged(pod_spec):
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod_spec.get(key), key
    for c in all_containers(pod_spec):
        assert not c.get("securityContext", {}).get("privileged"), c["name"]
        assert all("hostPort" not in p for p in c.get("ports", [])), c["name"]


def test_pss_only_allowed_volume_types(pod_spec):
    for volume in pod_spec.get("volumes", []):
        types = set(volume) - {"name"}
        assert types <= ALLOWED_VOLUMES, f"volume {volume['name']} uses {types}"


def test_pss_runs_as_non_root_with_a_non_zero_uid(pod_spec):
    for c in all_containers(pod_spec):
        assert effective(pod_spec, c, "runAsNonRoot") is True, c["name"]
        uid = effective(pod_spec, c, "runAsUser")
        assert uid is not None and uid != 0, c["name"]


def test_pss_seccomp_runtime_default(pod_spec):
    for c in all_containers(pod_spec):
        profile = effective(pod_spec, c, "seccompProfile") or {}
        assert profile.get("type") in ("RuntimeDefault", "Localhost"), c["name"]


def test_pss_no_privilege_escalation_and_all_capabilities_dropped(pod_spec):
    for c in all_containers(pod_spec):
        sc = c.get("securityContext", {})
        assert sc.get("allowPrivilegeEscalation") is False, c["name"]
        assert "ALL" in sc.get("capabilities", {}).get("drop", []), c["name"]
        assert set(sc.get("capabilities", {}).get("add", [])) <= {"NET_BIND_SERVICE"}


def test_read_only_root_with_writable_tmp(pod_spec, container):
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


# ---- the Deployment's invariants -------------------------------------------------------


def test_identity_image_and_replicas(deployment, container):
    assert deployment["metadata"]["labels"]["app"] == "model"
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "model"}
    assert deployment["spec"]["template"]["metadata"]["labels"]["app"] == "model"
    assert deployment["spec"]["replicas"] == 3
    assert container["image"] == "orchestra/model:v1"
    assert container["imagePullPolicy"] == "IfNotPresent"


def test_rolling_update_never_drops_capacity(deployment):
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert 0 < deployment["spec"]["progressDeadlineSeconds"] < 600  # classroom value


def test_requests_and_limits_for_cpu_and_memory(container):
    for part in ("requests", "limits"):
        assert set(container["resources"][part]) >= {"cpu", "memory"}, part


def test_probes_use_readiness_and_liveness_endpoints(container):
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # Startup must not wait on readiness: a never-ready release (v3) would be restarted.
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        port = container[probe]["httpGet"]["port"]
        assert ports.get(port, port) == 8080, probe


def prestop_seconds(container: dict) -> float:
    hook = container["lifecycle"]["preStop"]
    if "sleep" in hook:
        return float(hook["sleep"]["seconds"])
    command = " ".join(hook["exec"]["command"])
    return float(re.search(r"sleep\(?\s*(\d+(?:\.\d+)?)", command).group(1))


def test_termination_budget_fits_the_grace_period(pod_spec, container):
    budget = prestop_seconds(container) + server.DEFAULT_DRAIN_S + server.GRACEFUL_TIMEOUT_S
    assert prestop_seconds(container) > 0
    assert budget < pod_spec["terminationGracePeriodSeconds"]


def test_downward_api_identity(container):
    refs = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert refs == {
        "POD_NAME": "metadata.name",
        "NODE_NAME": "spec.nodeName",
        "POD_NAMESPACE": "metadata.namespace",
    }


def test_manifest_matches_the_image(pod_spec, container):
    dockerfile = (MODEL_DIR / "Dockerfile").read_text()
    assert f"EXPOSE {container['ports'][0]['containerPort']}" in dockerfile
    assert f"USER {pod_spec['securityContext']['runAsUser']}:" in dockerfile


# ---- Service, HPA, PDB, naive variant --------------------------------------------------


def test_service_is_nodeport_30080_to_8080():
    service = by_kind("Service")
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["selector"] == {"app": "model"}
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["targetPort"], port["nodePort"]) == (80, 8080, 30080)


def test_hpa_scales_the_deployment_on_cpu(container):
    hpa = by_kind("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "model",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert "cpu" in container["resources"]["requests"]  # utilization is relative to it


def test_pdb_keeps_two_pods_available(deployment):
    pdb = by_kind("PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == {"app": "model"}
    spec = pdb["spec"]
    assert spec.get("minAvailable") == 2 or spec.get("maxUnavailable") == 1
    assert spec.get("minAvailable", 0) < deployment["spec"]["replicas"]  # drain can proceed


def test_naive_variant_lacks_every_safeguard():
    (naive,) = load(NAIVE)
    assert (naive["kind"], naive["metadata"]["name"]) == ("Deployment", "model")
    assert "strategy" not in naive["spec"]
    (c,) = naive["spec"]["template"]["spec"]["containers"]
    for key in ("readinessProbe", "livenessProbe", "startupProbe", "lifecycle", "resources"):
        assert key not in c, key
    assert c["image"] == "orchestra/model:v1"


def test_every_manifest_explains_itself_with_a_docs_link():
    for path in [*MANIFESTS.glob("*.yaml"), NAIVE, MANIFESTS / "scheduling" / "model-spread.yaml"]:
        assert "https://kubernetes.io/docs/" in path.read_text(), path.name
