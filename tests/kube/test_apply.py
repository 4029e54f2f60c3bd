"""apply, get, list, patch and delete against the fake API server.

Server-side apply is idempotent: re-applying the same configuration changes nothing, so
the object keeps its resourceVersion and generation.
https://kubernetes.io/docs/reference/using-api/server-side-apply/
"""

from __future__ import annotations

import pytest

from helpers.errors import ManifestError, NotFound
from tests import manifests

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: model, labels: {app: model}}
spec:
  replicas: 3
  selector: {matchLabels: {app: model}}
  template:
    metadata: {labels: {app: model}}
    spec: {containers: [{name: model, image: "orchestra/model:v1"}]}
---
apiVersion: v1
kind: Service
metadata: {name: model}
spec: {type: NodePort, selector: {app: model}, ports: [{port: 8080, nodePort: 30080}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: model}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model}
  minReplicas: 2
  maxReplicas: 6
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: model}
spec: {minAvailable: 2, selector: {matchLabels: {app: model}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: model-config}
data: {LOG_LEVEL: info}
"""


def test_apply_creates_every_kind_and_returns_refs(cluster, fake):
    refs = cluster.apply(MANIFESTS)
    assert refs == [
        "deployment/model",
        "service/model",
        "horizontalpodautoscaler/model",
        "poddisruptionbudget/model",
        "configmap/model-config",
    ]
    assert fake.obj("HorizontalPodAutoscaler", "model")["spec"]["maxReplicas"] == 6
    assert fake.obj("ConfigMap", "model-config")["data"] == {"LOG_LEVEL": "info"}
    applies = [r for r in fake.requests if r["method"] == "PATCH"]
    assert all(r["type"].startswith("application/apply-patch+yaml") for r in applies)
    assert all(r["query"] == {"fieldManager": "orchestra-labs", "force": "true"} for r in applies)


def test_apply_twice_is_a_no_op(cluster, fake):
    cluster.apply(MANIFESTS)
    first = fake.obj("Deployment", "model")["metadata"]
    events_before = len(fake.state.history)
    patches_before = fake.count("PATCH", "/deployments/model")
    cluster.apply(MANIFESTS)
    second = fake.obj("Deployment", "model")["metadata"]
    assert fake.count("PATCH", "/deployments/model") == patches_before + 1  # it was sent
    assert second["generation"] == first["generation"] == 1
    assert second["resourceVersion"] == first["resourceVersion"]
    assert len(fake.state.history) == events_before  # no watch event: nothing changed


def test_apply_of_a_changed_spec_bumps_the_generation(cluster, fake):
    cluster.apply(MANIFESTS)
    cluster.apply(MANIFESTS.replace("replicas: 3", "replicas: 5"))
    dep = fake.obj("Deployment", "model")
    assert dep["spec"]["replicas"] == 5 and dep["metadata"]["generation"] == 2


def test_apply_into_a_namespace(cluster, fake):
    cluster.apply(manifests.namespace("lab3"))
    cluster.apply(MANIFESTS, namespace="lab3")
    assert fake.obj("Deployment", "model", "lab3") is not None
    assert fake.obj("Deployment", "model", "default") is None


def test_apply_into_a_missing_namespace_says_to_create_it(cluster):
    with pytest.raises(NotFound, match="namespace 'nowhere' does not exist") as err:
        cluster.apply(MANIFESTS, namespace="nowhere")
    assert "Namespace" in err.value.hint


def test_invalid_field_becomes_manifest_error_naming_it(cluster):
    with pytest.raises(ManifestError) as err:
        cluster.apply(MANIFESTS.replace("replicas: 3", "replicas: -1"))
    assert "spec.replicas" in err.value.what
    assert "greater than or equal to 0" in err.value.what


def test_unknown_kind_and_wrong_api_version(cluster):
    with pytest.raises(ManifestError, match="does not handle kind 'CronTab'"):
        cluster.apply(
            {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "x"}}
        )
    with pytest.raises(ManifestError, match="apps/v1"):
        cluster.apply(
            {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}}
        )


def test_get_list_and_not_found(cluster, fake):
    cluster.apply(MANIFESTS)
    assert cluster.get("deploy", "model")["spec"]["replicas"] == 3
    items = cluster.list_objects("Deployment", "default", {"matchLabels": {"app": "model"}})
    assert [(i["kind"], i["apiVersion"]) for i in items] == [("Deployment", "apps/v1")]
    assert cluster.list_objects("Deployment", "default", "app=other") == []
    with pytest.raises(NotFound, match=r'deployments\.apps "absent" not found'):
        cluster.get("Deployment", "absent")


def test_merge_patch_replaces_lists_and_null_deletes(cluster, fake):
    """JSON merge patch (RFC 7386) as kubectl patch --type=merge sends it.

    https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
    """
    cluster.apply(MANIFESTS)
    cluster.set_image("model", "orchestra/model:v2")
    containers = fake.obj("Deployment", "model")["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "model", "image": "orchestra/model:v2"}]
    patch = [r for r in fake.requests if r["method"] == "PATCH"][-1]
    assert patch["type"].startswith("application/merge-patch+json")
    cluster.cordon("orchestra-worker")
    assert fake.obj("Node", "orchestra-worker", None)["spec"]["unschedulable"] is True
    cluster.uncordon("orchestra-worker")
    assert "unschedulable" not in fake.obj("Node", "orchestra-worker", None)["spec"]


def test_rollout_undo_restores_the_previous_template(cluster, fake):
    """kubectl rollout undo copies the previous ReplicaSet's template back.

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-back-a-deployment
    """
    cluster.apply(MANIFESTS)
    for rev, (tag, template_hash) in enumerate([("v1", "aaa"), ("v2", "bbb")], start=1):
        dep = manifests.deployment("model", namespace="default", image=f"orchestra/model:{tag}")
        fake.put({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": f"model-{template_hash}", "namespace": "default", "labels": {"app": "model"},
                "annotations": {"deployment.kubernetes.io/revision": str(rev)},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "model"}],
            },
            "spec": {"replicas": 0, "selector": dep["spec"]["selector"], "template": {
                "metadata": {"labels": {"app": "model", "pod-template-hash": template_hash}},
                "spec": dep["spec"]["template"]["spec"]}},
        })  # fmt: skip
    cluster.set_image("model", "orchestra/model:v2")
    assert sorted(cluster.revisions("model")) == [1, 2]
    assert cluster.rollout_undo("model") == 1
    template = fake.obj("Deployment", "model")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "orchestra/model:v1"
    assert "pod-template-hash" not in template["metadata"]["labels"]


def test_delete_is_background_and_not_found_after(cluster, fake):
    cluster.apply(MANIFESTS)
    cluster.delete("Deployment", "model")
    req = [r for r in fake.requests if r["method"] == "DELETE"][-1]
    assert req["query"]["propagationPolicy"] == "Background"
    assert fake.obj("Deployment", "model") is None
    with pytest.raises(NotFound):
        cluster.delete("Deployment", "model")


def test_diff_is_a_dry_run_apply_that_stores_nothing(cluster, fake):
    cluster.apply(MANIFESTS)
    history = len(fake.state.history)
    assert not cluster.diff(MANIFESTS)  # as applied: `kubectl diff` exits 0
    diff = cluster.diff(MANIFESTS.replace("replicas: 3", "replicas: 5"))
    assert "--- LIVE/apps.v1.Deployment.default.model" in diff
    assert "-  replicas: 3\n+  replicas: 5\n" in diff
    assert "managedFields" not in diff
    assert len(fake.state.history) == history  # nothing written
    assert fake.obj("Deployment", "model")["spec"]["replicas"] == 3
