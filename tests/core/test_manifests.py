"""Manifests load the same from a path, a folder, YAML text, a dict or a list."""

from pathlib import Path

import pytest

from helpers.core import manifests
from helpers.core.paths import REPO
from helpers.errors import ManifestError

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
"""


def test_yaml_text_with_several_documents():
    objs = manifests.load(DEPLOY)
    assert [manifests.ref(o) for o in objs] == ["deployment/web", "service/web"]


def test_path_and_folder(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(DEPLOY)
    (tmp_path / "b.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    assert len(manifests.load(tmp_path / "a.yaml")) == 2
    assert len(manifests.load(str(tmp_path / "a.yaml"))) == 2
    assert [o["kind"] for o in manifests.load(tmp_path)] == ["Deployment", "Service", "Namespace"]
    assert len(manifests.load(str(tmp_path) + "/")) == 3  # a folder named as text


def test_dict_and_list_are_copied_not_shared():
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    loaded = manifests.load(obj)[0]
    loaded["metadata"]["name"] = "changed"
    assert obj["metadata"]["name"] == "x"
    assert len(manifests.load([obj, obj])) == 2


def test_kind_list_is_unpacked():
    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
    assert manifests.load(text)[0]["metadata"]["name"] == "a"


def test_bad_yaml_names_the_line():
    with pytest.raises(ManifestError, match="line 3"):
        manifests.load("apiVersion: v1\nkind: Pod\n  metadata: x\n")


def test_missing_file_points_at_the_course_manifests():
    with pytest.raises(ManifestError, match="cluster/manifests"):
        manifests.load("no/such/file.yaml")


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"kind": "Pod", "metadata": {"name": "a"}}, "apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "a"}}, "kind"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {}}, "metadata.name"),
        ("just a string", "not a Kubernetes object"),
    ],
)
def test_incomplete_objects_name_the_missing_field(doc, field):
    with pytest.raises(ManifestError, match=field):
        manifests.load([doc])


def test_a_missing_path_names_the_path_that_exists_from_here(tmp_path, monkeypatch):
    """kubectl: error: the path "x.yaml" does not exist. A notebook runs in labs/, so a path
    written from the repository root misses; the hint gives the one that works from here."""
    labs = REPO / "labs"
    monkeypatch.chdir(labs)
    with pytest.raises(ManifestError) as err:
        manifests.load("cluster/manifests/model-pdb.yaml")
    assert 'the path "cluster/manifests/model-pdb.yaml" does not exist' in str(err.value)
    assert '"../cluster/manifests/model-pdb.yaml"' in err.value.hint
    assert 'helpers.lab.manifest("model-pdb.yaml")' in err.value.hint
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as err:
        manifests.load("nowhere.yaml")
    assert "helpers.lab.manifest(<file name>)" in err.value.hint
