"""The course images under a registry's names (helpers.core.registry), as a cluster that pulls
needs them: kind's local registry (https://kind.sigs.k8s.io/docs/user/local-registry/) or a
cloud registry. Only the course's own images move; the image field is the pod spec's
``containers[].image`` and ``initContainers[].image``
(https://kubernetes.io/docs/concepts/containers/images/#image-names)."""

from __future__ import annotations

import copy

import pytest
import yaml

from helpers.core.paths import REPO
from helpers.core.registry import configured, loaded_image_hint, registry_image, with_registry

REGISTRY = "localhost:5001"


def load_course(name: str) -> dict:
    return yaml.safe_load((REPO / "cluster" / "manifests" / name).read_text())


@pytest.mark.parametrize(
    "image, expected",
    [
        ("orchestra/model:v1", "localhost:5001/orchestra/model:v1"),
        ("orchestra/model@sha256:" + "a" * 64, "localhost:5001/orchestra/model@sha256:" + "a" * 64),
        ("nginx:1.27", "nginx:1.27"),
        ("registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2"),
        ("localhost:5001/orchestra/model:v1", "localhost:5001/orchestra/model:v1"),
    ],
)
def test_only_course_images_move(image, expected):
    assert registry_image(image, REGISTRY) == expected


def test_no_registry_leaves_every_name():
    assert registry_image("orchestra/model:v1", None) == "orchestra/model:v1"
    deployment = load_course("model-deployment.yaml")
    assert with_registry(deployment, None) is deployment


def test_a_deployment_gets_its_containers_and_init_containers_renamed_in_a_copy():
    deployment = load_course("model-deployment.yaml")
    spec = deployment["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": "warm", "image": "orchestra/model:v1"}]
    spec["containers"].append({"name": "sidecar", "image": "busybox:1.36"})
    before = copy.deepcopy(deployment)
    out = with_registry(deployment, REGISTRY)
    assert deployment == before  # the caller's object is not changed
    images = [c["image"] for c in out["spec"]["template"]["spec"]["containers"]]
    assert images == [f"{REGISTRY}/orchestra/model:v1", "busybox:1.36"]
    assert out["spec"]["template"]["spec"]["initContainers"][0]["image"] == (
        f"{REGISTRY}/orchestra/model:v1"
    )


@pytest.mark.parametrize(
    "obj, path",
    [
        (
            {"kind": "Pod", "spec": {"containers": [{"name": "m", "image": "orchestra/model:v2"}]}},
            ("spec",),
        ),
        (
            {
                "kind": "CronJob",
                "spec": {
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "containers": [{"name": "m", "image": "orchestra/model:v2"}]
                                }
                            }
                        }
                    }
                },
            },
            ("spec", "jobTemplate", "spec", "template", "spec"),
        ),
        (
            {
                "kind": "StatefulSet",
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "m", "image": "orchestra/model:v2"}]}
                    }
                },
            },
            ("spec", "template", "spec"),
        ),
    ],
)
def test_every_workload_kind_is_found_where_its_pod_spec_sits(obj, path):
    spec = with_registry(obj, REGISTRY)
    for key in path:
        spec = spec[key]
    assert spec["containers"][0]["image"] == f"{REGISTRY}/orchestra/model:v2"


def test_objects_without_a_pod_spec_or_malformed_are_left_alone():
    service = load_course("model-service.yaml")
    assert with_registry(service, REGISTRY) is service
    broken = {"kind": "Deployment", "spec": {"template": "not a mapping"}}
    assert with_registry(broken, REGISTRY) is broken
    assert with_registry(["not", "an", "object"], REGISTRY) == ["not", "an", "object"]


def test_lab_registry_is_read_with_its_trailing_slash_dropped(monkeypatch):
    monkeypatch.setenv("LAB_REGISTRY", "ghcr.io/course/ ")
    assert configured() == "ghcr.io/course"
    monkeypatch.setenv("LAB_REGISTRY", "")
    assert configured() is None


@pytest.mark.parametrize(
    "image, reason, registry, hinted",
    [
        ("orchestra/model:v9", "ErrImagePull", None, True),
        ("orchestra/model:v1", "ImagePullBackOff", None, True),
        ("orchestra/model:v1", "CrashLoopBackOff", None, False),
        ("orchestra/model:v1", "ErrImagePull", REGISTRY, False),  # the registry's own error
        ("nginx:1.27", "ErrImagePull", None, False),
    ],
)
def test_a_course_image_that_does_not_start_without_a_registry_gets_the_kind_load_hint(
    image, reason, registry, hinted
):
    """kind's nodes start a course image only from what `kind load` put there; kubelet 1.35+
    pulls again for a loaded image ID it once pulled under other names
    (https://kubernetes.io/docs/concepts/containers/images/#ensureimagepullcredentialverification)."""
    hint = loaded_image_hint(image, reason, registry)
    assert (hint is not None) == hinted
    if hinted:
        assert hint.startswith(f"{image} must be on the nodes") and "LAB_REGISTRY" in hint
