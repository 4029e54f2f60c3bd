"""Server-side apply on the simulator with the real kubectl: field managers and conflicts.

kubernetes.io/docs/reference/using-api/server-side-apply/: the applier owns the fields of
its configuration; a field another manager set to another value is a conflict unless
--force-conflicts; a field the applier drops from its configuration is removed unless
someone else owns it; equal values are co-owned without conflict.
"""

from __future__ import annotations

import json

import pytest

from helpers.sim.httpapi import fieldmanager
from tests.sim.httpapi_kit import MANIFESTS, kubectl_binary, needs_kubectl, serving  # noqa: F401

DEPLOYMENT = str(MANIFESTS / "model-deployment.yaml")


@pytest.fixture
def served(tmp_path):
    with serving(tmp_path) as both:
        yield both


def managers(cluster) -> list[tuple[str, str, str | None]]:
    fields = cluster.get("Deployment", "model")["metadata"]["managedFields"]
    return [(e["manager"], e["operation"], e.get("subresource")) for e in fields]


@needs_kubectl
def test_apply_then_an_imperative_scale_conflicts_until_forced(served):
    cluster, kubectl = served
    r = kubectl("apply", "--server-side", "-f", DEPLOYMENT)
    assert r.stdout.strip() == "deployment.apps/model serverside-applied", r.stderr
    assert managers(cluster) == [("kubectl", "Apply", None)]
    owned = cluster.get("Deployment", "model")["metadata"]["managedFields"][0]["fieldsV1"]
    assert "f:replicas" in owned["f:spec"]
    assert 'k:{"name":"model"}' in owned["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert kubectl("scale", "deploy", "model", "--replicas=5").returncode == 0
    assert ("kubectl", "Update", "scale") in managers(cluster)
    r = kubectl("apply", "--server-side", "-f", DEPLOYMENT)
    assert r.returncode == 1
    assert ('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
            "using apps/v1: .spec.replicas") in r.stderr  # fmt: skip
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 5  # nothing changed
    r = kubectl("apply", "--server-side", "--force-conflicts", "-f", DEPLOYMENT)
    assert r.returncode == 0, r.stderr
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 3
    assert managers(cluster) == [("kubectl", "Apply", None)]  # the scale's field taken over


@needs_kubectl
def test_equal_values_are_co_owned_and_dropped_fields_are_removed(served, tmp_path):
    cluster, kubectl = served
    labelled = tmp_path / "labelled.yaml"
    text = (MANIFESTS / "model-deployment.yaml").read_text()
    labelled.write_text(
        text.replace("  labels:\n    app: model\n", "  labels:\n    app: model\n    tier: web\n", 1)
    )
    assert "tier: web" in labelled.read_text()
    assert kubectl("apply", "--server-side", "-f", str(labelled)).returncode == 0
    assert cluster.get("Deployment", "model")["metadata"]["labels"]["tier"] == "web"
    assert kubectl("label", "deploy", "model", "team=ml").returncode == 0  # another manager
    assert kubectl("scale", "deploy", "model", "--replicas=3").returncode == 0  # the same value
    r = kubectl("apply", "--server-side", "-f", DEPLOYMENT)  # tier dropped from the file
    assert r.returncode == 0, r.stderr  # replicas 3 = 3: co-owned, no conflict
    meta_labels = cluster.get("Deployment", "model")["metadata"]["labels"]
    assert "tier" not in meta_labels  # only this applier owned it: removed
    assert meta_labels["team"] == "ml"  # owned by the label command: kept


@needs_kubectl
def test_server_side_apply_dry_run_and_missing_manager(served):
    cluster, kubectl = served
    r = kubectl("apply", "--server-side", "--dry-run=server", "-f", DEPLOYMENT)
    assert r.stdout.strip() == "deployment.apps/model serverside-applied (server dry run)", r.stderr
    assert cluster.list_objects("Deployment") == []


def test_field_sets_round_trip_through_fields_v1():
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "m", "uid": "x", "labels": {"app": "m"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "c", "image": "i", "ports": [{"containerPort": 80}], "args": ["a", "b"]}]}}},
        "status": {"replicas": 2},
    }  # fmt: skip
    paths = fieldmanager.field_paths(obj)
    container = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"c"}')
    assert ("f:spec", "f:replicas") in paths and ("f:metadata", "f:labels", "f:app") in paths
    assert container in paths and (*container, "f:args") in paths  # an atomic list is a leaf
    assert (*container, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}') in paths
    assert not any(p[0] == "f:status" for p in paths) and ("f:metadata", "f:uid") not in paths
    trie = fieldmanager.to_fields_v1(paths)
    assert fieldmanager.from_fields_v1(json.loads(json.dumps(trie))) == paths
    assert (
        fieldmanager.readable((*container, "f:image"))
        == '.spec.template.spec.containers[name="c"].image'
    )
