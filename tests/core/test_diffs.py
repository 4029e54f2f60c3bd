"""`kubectl diff`'s output form: one ``diff -u`` per object that would change.

(kubernetes.io/docs/reference/kubectl/generated/kubectl_diff/)
"""

from __future__ import annotations

from helpers.core.diffs import ManifestDiff, file_name, unified


def deployment(replicas: int, **meta) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "model", "namespace": "default", **meta},
        "spec": {"replicas": replicas},
    }


def test_files_are_named_as_kubectl_names_them():
    assert file_name(deployment(3)) == "apps.v1.Deployment.default.model"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w1"}}
    assert file_name(node) == "v1.Node.w1"


def test_an_unchanged_object_gives_no_diff_and_is_falsy():
    d = unified([(deployment(3), deployment(3))])
    assert d == "" and not d
    assert repr(d).startswith("(no differences")


def test_a_change_is_a_unified_diff_without_managed_fields():
    live = deployment(3, managedFields=[{"manager": "kubectl"}], generation=1)
    merged = deployment(5, managedFields=[{"manager": "kubectl", "x": 1}], generation=2)
    d = unified([(live, merged)])
    assert isinstance(d, ManifestDiff) and d
    lines = d.splitlines()
    assert lines[:2] == [
        "--- LIVE/apps.v1.Deployment.default.model",
        "+++ MERGED/apps.v1.Deployment.default.model",
    ]
    assert "-  replicas: 3" in lines and "+  replicas: 5" in lines
    assert "-  generation: 1" in lines and "+  generation: 2" in lines
    assert "managedFields" not in d
    assert repr(d) == str(d)


def test_a_new_object_is_all_additions():
    d = unified([(None, deployment(2))])
    body = d.splitlines()[3:]
    assert body and all(line.startswith("+") for line in body)
