"""The course chart (cluster/chart/): linted, rendered and validated, and by default the
same careful model service as the course manifests (so lab 07's rollouts behave as lab 05's
and the chart meets the "restricted" Pod Security Standard those manifests are tested for
in test_manifests.py).

Rendering uses the real helm (helm.sh/docs/helm/helm_template/), from ./bin.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from helpers.core.validation import validate
from tests.sim.httpapi_kit import HELM, helm_binary  # noqa: F401 (a fixture)

from .conftest import ROOT

pytestmark = pytest.mark.usefixtures("helm_binary")
CHART = ROOT / "cluster" / "chart"
MANIFESTS = ROOT / "cluster" / "manifests"
ENVIRONMENTS = ("values-classroom.yaml", "values-production.yaml")


def helm(*args: str, home) -> str:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "HELM_CACHE_HOME": str(home / "c"),
           "HELM_CONFIG_HOME": str(home / "f"), "HELM_DATA_HOME": str(home / "d")}  # fmt: skip
    done = subprocess.run([str(HELM), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(tmp_path, *args: str) -> dict[str, dict]:
    """The chart rendered as release "model", by kind."""
    docs = yaml.safe_load_all(helm("template", "model", str(CHART), *args, home=tmp_path))
    return {d["kind"]: d for d in docs if d}


def manifest(name: str) -> dict:
    return yaml.safe_load((MANIFESTS / name).read_text())


@pytest.mark.parametrize("values", [(), *(("-f", str(CHART / f)) for f in ENVIRONMENTS)])
def test_lint_passes_strict_for_every_environment(tmp_path, values):
    out = helm("lint", "--strict", str(CHART), *values, home=tmp_path)
    assert "1 chart(s) linted, 0 chart(s) failed" in out


@pytest.mark.parametrize("values", [(), *(("-f", str(CHART / f)) for f in ENVIRONMENTS)])
def test_every_rendered_object_passes_kubernetes_validation(tmp_path, values):
    objects = render(tmp_path, *values)
    assert {"Deployment", "Service", "PodDisruptionBudget"} <= set(objects)
    for obj in objects.values():
        validate(obj)  # ManifestError (kubectl's words) on any schema violation


def test_defaults_render_the_course_deployment(tmp_path):
    """Same pod spec (probes, preStop, security context, resources), strategy and replicas
    as cluster/manifests/model-deployment.yaml; the chart only adds labels."""
    rendered = render(tmp_path)["Deployment"]
    course = manifest("model-deployment.yaml")
    assert rendered["spec"]["template"]["spec"] == course["spec"]["template"]["spec"]
    for key in ("replicas", "selector", "strategy", "minReadySeconds", "progressDeadlineSeconds"):
        assert rendered["spec"][key] == course["spec"][key], key
    labels = rendered["spec"]["template"]["metadata"]["labels"]
    assert labels["app"] == "model" and labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["app.kubernetes.io/version"] == "v1"  # appVersion when image.tag is empty


def test_defaults_render_the_course_service_and_budget(tmp_path):
    objects = render(tmp_path)
    service, course = objects["Service"]["spec"], manifest("model-service.yaml")["spec"]
    assert service["type"] == course["type"] and service["selector"] == course["selector"]
    (port,), (course_port,) = service["ports"], course["ports"]
    assert (port["port"], port["nodePort"]) == (course_port["port"], course_port["nodePort"])
    assert port["targetPort"] == "http"  # the container port's name: 8080
    assert objects["PodDisruptionBudget"]["spec"] == manifest("model-pdb.yaml")["spec"]
    assert "HorizontalPodAutoscaler" not in objects  # autoscaling.enabled: false


def test_values_reach_the_objects(tmp_path):
    objects = render(tmp_path, "--set", "image.tag=v2", "--set", "replicaCount=4",
                     "--set", "env.MODEL_FAULT_SLOW_START_S=5")  # fmt: skip
    spec = objects["Deployment"]["spec"]
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"] == "orchestra/model:v2" and spec["replicas"] == 4
    assert {"name": "MODEL_FAULT_SLOW_START_S", "value": "5"} in container["env"]


def test_classroom_values_are_small(tmp_path):
    objects = render(tmp_path, "-f", str(CHART / "values-classroom.yaml"))
    spec = objects["Deployment"]["spec"]
    assert spec["replicas"] == 2
    assert spec["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "50m"
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 1


def test_production_leaves_replicas_to_the_autoscaler(tmp_path):
    """With an HPA the Deployment has no spec.replicas, so an upgrade does not reset the
    count the autoscaler chose (kubernetes.io/docs/tasks/run-application/
    horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling)."""
    objects = render(tmp_path, "-f", str(CHART / "values-production.yaml"))
    assert "replicas" not in objects["Deployment"]["spec"]
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "model"
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
