"""Lab 08's manifests (cluster/manifests/microservices/): the gateway, its ConfigMap and
Service, the model's ClusterIP Service and the model that asks for a token.

Each passes Kubernetes' own schema validation, the gateway meets the "restricted" Pod
Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards/), and the
model with a token differs from the course's model only by its MODEL_TOKEN, taken from the
Secret (kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from helpers.core.validation import validate

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "cluster" / "manifests"
MICRO = MANIFESTS / "microservices"
FILES = sorted(MICRO.glob("*.yaml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_manifest_passes_kubernetes_validation_and_cites_its_docs(path):
    validate(load(path), path.name)
    assert "https://kubernetes.io/docs/" in path.read_text()


def test_the_gateway_runs_the_gateway_program_of_the_model_image_restricted():
    dep = load(MICRO / "gateway-deployment.yaml")
    spec = dep["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    assert c["image"] == "orchestra/model:v1"
    assert c["command"] == ["python", "-m", "orchestra_model.gateway"]
    assert c["envFrom"] == [{"configMapRef": {"name": "gateway"}}]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert all(set(v) <= {"name", "emptyDir"} for v in spec["volumes"])
    # Readiness asks the gateway itself, never the model (cluster/model/README.md).
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["resources"]["limits"]["memory"] == "128Mi"  # the gateway uses ~61 MiB


def test_the_gateway_is_the_front_door_and_the_model_is_inside_only():
    gateway = load(MICRO / "gateway-service.yaml")["spec"]
    assert gateway["type"] == "NodePort" and gateway["ports"][0]["nodePort"] == 30080
    assert gateway["selector"] == {"app": "gateway"}
    model = load(MICRO / "model-service.yaml")["spec"]
    assert model["type"] == "ClusterIP" and "nodePort" not in model["ports"][0]
    assert model["ports"][0]["port"] == 80 and model["ports"][0]["targetPort"] == 8080
    top = load(MANIFESTS / "model-service.yaml")["spec"]
    assert model["selector"] == top["selector"]


def test_the_gateways_config_names_the_model_service_by_dns():
    data = load(MICRO / "gateway-config.yaml")["data"]
    assert data == {"MODEL_URL": "http://model", "GATEWAY_TIMEOUT_S": "2"}
    assert all(isinstance(v, str) for v in data.values())  # ConfigMap values are strings


def test_the_model_with_a_token_is_the_course_model_plus_the_secret_reference():
    course = load(MANIFESTS / "model-deployment.yaml")
    token = load(MICRO / "model-deployment.yaml")
    env = token["spec"]["template"]["spec"]["containers"][0]["env"]
    (entry,) = [e for e in env if e["name"] == "MODEL_TOKEN"]
    assert entry == {
        "name": "MODEL_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "model-token", "key": "token"}},
    }
    stripped = copy.deepcopy(token)
    stripped["spec"]["template"]["spec"]["containers"][0]["env"] = [
        e for e in env if e["name"] != "MODEL_TOKEN"
    ]
    assert stripped == course
