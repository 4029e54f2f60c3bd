"""Server-side dry run on the simulator's API server: every stage of a write but the last.

"The modifying verbs (POST, PUT, PATCH, and DELETE) can accept requests in a dry run mode
... Every stage runs as normal, except for the final storage stage where side effects are
prevented." (kubernetes.io/docs/reference/using-api/api-concepts/#dry-run). These tests
check that the answer is what the write would store, that nothing is stored or allocated,
and that `kubectl diff` and `kubectl apply --dry-run=server` work on it.
"""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from helpers.core import manifests
from helpers.errors import ManifestError
from helpers.sim import SimCluster
from tests.sim.httpapi_kit import MANIFESTS, kubectl_binary, needs_kubectl, serving  # noqa: F401


@pytest.fixture
def served(tmp_path):
    with serving(tmp_path, deployed=True) as (cluster, kubectl):
        api_client = config.new_client_from_config(config_file=str(tmp_path / "kubeconfig"))
        yield cluster, api_client, kubectl
        api_client.close()


def snapshot(cluster) -> list:
    """Every stored object with its resourceVersion: what a dry run must leave as it was."""
    return [
        (o.kind, o.namespace, o.name, o.rv, o.to_json())
        for objs in cluster.store.objects.values()
        for o in sorted(objs.values(), key=lambda o: (o.namespace or "", o.name))
    ]


def message(err) -> str:
    return json.loads(err.value.body)["message"]


def deployment(name: str = "web", replicas: int = 2) -> dict:
    doc = manifests.load(MANIFESTS / "model-deployment.yaml")[0]
    doc["metadata"]["name"] = name
    doc["spec"]["replicas"] = replicas
    doc["spec"]["selector"]["matchLabels"] = {"app": name}
    doc["spec"]["template"]["metadata"]["labels"] = {"app": name}
    return doc


def test_a_dry_run_create_answers_the_defaulted_object_and_stores_nothing(served):
    cluster, api_client, _ = served
    apps = client.AppsV1Api(api_client)
    before = snapshot(cluster)
    made = apps.create_namespaced_deployment("default", deployment(), dry_run="All")
    assert made.metadata.name == "web" and made.metadata.uid
    assert made.spec.revision_history_limit == 10  # the API server's defaults
    assert made.spec.template.spec.dns_policy == "ClusterFirst"
    assert snapshot(cluster) == before
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("web", "default")
    assert err.value.status == 404
    assert cluster.events().query("object == 'deployment/web'").empty


def test_a_dry_run_is_refused_as_the_write_would_be(served):
    _, api_client, _ = served
    apps = client.AppsV1Api(api_client)
    doc = deployment("model")
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_deployment("default", doc, dry_run="All")
    assert err.value.status == 409
    assert message(err) == 'deployments.apps "model" already exists'
    moved = {"spec": {"selector": {"matchLabels": {"app": "other"}},
                      "template": {"metadata": {"labels": {"app": "other"}}}}}  # fmt: skip
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment("model", "default", moved, dry_run="All")
    assert err.value.status == 422 and "field is immutable" in message(err)


def test_only_All_is_a_dry_run_value(served):
    _, api_client, _ = served
    apps = client.AppsV1Api(api_client)
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(
            "model", "default", {"spec": {"replicas": 4}}, dry_run="yes"
        )
    assert err.value.status == 422
    assert message(err) == (
        'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"yes"}: '
        'supported values: "All"'
    )


def test_a_dry_run_patch_scale_and_delete_change_nothing(served):
    cluster, api_client, _ = served
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    cluster.delete("HorizontalPodAutoscaler", "model")  # so that only a dry run could scale
    before = snapshot(cluster)
    generation = cluster.get("Deployment", "model")["metadata"]["generation"]
    patched = apps.patch_namespaced_deployment(
        "model", "default", {"spec": {"replicas": 5}}, dry_run="All"
    )
    assert patched.spec.replicas == 5 and patched.metadata.generation == generation + 1
    scaled = apps.patch_namespaced_deployment_scale(
        "model", "default", {"spec": {"replicas": 7}}, dry_run="All"
    )
    assert scaled.spec.replicas == 7
    pod = cluster.list_objects("Pod")[0]["metadata"]["name"]
    gone = core.delete_namespaced_pod(pod, "default", dry_run="All")
    assert gone.metadata.deletion_timestamp is not None
    assert (
        apps.delete_namespaced_deployment("model", "default", dry_run="All")["status"] == "Success"
    )
    assert snapshot(cluster) == before
    t0 = cluster.now()
    cluster.sleep(30)  # a stored change would have moved the controllers by now
    events = cluster.events()
    events = events[events["time"] >= t0]
    assert not events["message"].str.contains(r"to [57] from").any()  # no scale to 5 or 7
    assert (events["object"] != f"pod/{pod}").all()  # the pod was never killed
    assert cluster.get("Deployment", "model")["metadata"]["name"] == "model"  # not deleted


def test_a_dry_run_keeps_no_node_port_and_moves_no_random_stream(served, tmp_path):
    cluster, api_client, _ = served
    core = client.CoreV1Api(api_client)
    service = manifests.load(MANIFESTS / "model-service.yaml")[0]
    service["metadata"]["name"] = "other"
    service["spec"]["ports"][0].pop("nodePort", None)
    would = core.create_namespaced_service("default", service, dry_run="All")
    assert 30000 <= would.spec.ports[0].node_port <= 32767
    core.create_namespaced_service("default", service)
    real = cluster.get("Service", "other")["spec"]
    twin = SimCluster(seed=0)  # the same cluster, never asked a dry run
    twin.apply(MANIFESTS)
    twin.wait_rollout("model")
    twin.apply(service)
    assert (
        real["ports"][0]["nodePort"] == twin.get("Service", "other")["spec"]["ports"][0]["nodePort"]
    )
    assert real["clusterIP"] == twin.get("Service", "other")["spec"]["clusterIP"]


@needs_kubectl
def test_kubectl_diff_shows_what_apply_would_change_and_changes_nothing(served, tmp_path):
    cluster, _, kubectl = served
    same = kubectl("diff", "-f", str(MANIFESTS))
    assert same.returncode == 0 and same.stdout == "", same.stderr  # kubectl diff: 0 = no change
    edited = tmp_path / "model-deployment.yaml"
    text = (MANIFESTS / "model-deployment.yaml").read_text()
    assert "replicas: 3" in text
    edited.write_text(text.replace("replicas: 3", "replicas: 5"))
    before = snapshot(cluster)
    changed = kubectl("diff", "-f", str(edited))
    assert changed.returncode == 1, changed.stderr  # 1 = differences found
    assert "-  replicas: 3" in changed.stdout and "+  replicas: 5" in changed.stdout
    assert snapshot(cluster) == before


@needs_kubectl
def test_kubectl_server_dry_runs(served, tmp_path):
    cluster, _, kubectl = served
    edited = tmp_path / "model-deployment.yaml"
    edited.write_text(
        (MANIFESTS / "model-deployment.yaml").read_text().replace("replicas: 3", "replicas: 5")
    )
    before = snapshot(cluster)
    r = kubectl("apply", "-f", str(edited), "--dry-run=server")
    assert r.stdout.strip() == "deployment.apps/model configured (server dry run)", r.stderr
    r = kubectl("scale", "deploy", "model", "--replicas=6", "--dry-run=server")
    assert r.stdout.strip() == "deployment.apps/model scaled (server dry run)", r.stderr
    pod = cluster.list_objects("Pod")[0]["metadata"]["name"]
    r = kubectl("delete", "pod", pod, "--dry-run=server")
    assert r.stdout.strip().startswith(f'pod "{pod}" deleted'), r.stderr
    assert r.stdout.strip().endswith("(server dry run)"), r.stdout
    node = cluster.get("Pod", pod)["spec"]["nodeName"]
    r = kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--dry-run=server")
    assert r.returncode == 0, r.stderr
    assert f"node/{node} cordoned (server dry run)" in r.stdout, r.stdout
    assert f"evicting pod default/{pod} (server dry run)" in r.stdout, r.stdout
    new = tmp_path / "web.yaml"
    new.write_text(yaml.safe_dump(deployment()))
    r = kubectl("apply", "-f", str(new), "--dry-run=server")
    assert r.stdout.strip() == "deployment.apps/web created (server dry run)", r.stderr
    assert snapshot(cluster) == before
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 3


def test_cluster_diff_on_the_simulator_matches_what_apply_then_does(tmp_path):
    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS)
    cluster.wait_rollout("model")
    assert not cluster.diff(MANIFESTS)
    edited = tmp_path / "model-deployment.yaml"
    edited.write_text(
        (MANIFESTS / "model-deployment.yaml").read_text().replace("replicas: 3", "replicas: 5")
    )
    diff = cluster.diff(edited)
    assert "-  replicas: 3\n+  replicas: 5\n" in diff
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 3
    cluster.apply(edited)
    assert not cluster.diff(edited)  # applied: nothing left to change
    with pytest.raises(ManifestError, match=r"spec\.replicas"):
        cluster.diff(str(edited.read_text()).replace("replicas: 5", "replicas: -1"))
