"""The course images under a registry's names, for clusters that pull instead of `kind load`.

The manifests and the labs name the course's images as kind knows them after `kind load`
(``orchestra/model:v1``). A cluster that pulls (a managed cloud cluster, or kind with a local
registry as in https://kind.sigs.k8s.io/docs/user/local-registry/) needs the name the images
were pushed under (``LAB_REGISTRY=localhost:5001`` gives ``localhost:5001/orchestra/model:v1``,
what ``python -m helpers.kind images build --push`` pushes). The kube backend rewrites the
course's images in what it applies and sets; every other image is left as written.

Example:
    >>> registry_image("orchestra/model:v2", "localhost:5001")
    'localhost:5001/orchestra/model:v2'
    >>> registry_image("nginx:1.27", "localhost:5001")
    'nginx:1.27'
"""

from __future__ import annotations

import copy
import os
from typing import Any

# The repositories the course builds (helpers.kind.images): only these are pushed.
COURSE_PREFIX = "orchestra/"
ENV = "LAB_REGISTRY"

# Where a pod template sits in each workload kind (the Pod itself: its own spec).
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def configured() -> str | None:
    """The registry named in ``LAB_REGISTRY`` (trailing "/" dropped), or None when unset."""
    value = os.environ.get(ENV, "").strip().rstrip("/")
    return value or None


def registry_image(image: str, registry: str | None) -> str:
    """``image`` as pushed to ``registry`` when it is a course image; else unchanged.

    An image already under the registry, or with no registry given, is returned as is.
    """
    if not registry or not isinstance(image, str) or not image.startswith(COURSE_PREFIX):
        return image
    return f"{registry}/{image}"


# The pod statuses of an image the node could not get (kubelet's images package).
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")


def loaded_image_hint(image: str, reason: str, registry: str | None) -> str | None:
    """What to do when a course image does not start on a cluster fed by `kind load`.

    Returns None unless ``reason`` is a pull failure of a course image and no registry is in
    use. Such a node has the image only if it was loaded; any other name (a tag never built)
    is pulled from Docker Hub. And a node that once pulled the same image ID from a registry
    no longer counts the loaded copy as preloaded: kubelet 1.35+ keeps a record of the names
    each image ID was pulled as (KubeletEnsureSecretPulledImages, beta, on by default) and
    pulls again for any other name
    (https://kubernetes.io/docs/concepts/containers/images/#ensureimagepullcredentialverification).

    Example:
        >>> loaded_image_hint("orchestra/model:v9", "ErrImagePull", None)[:40]
        'orchestra/model:v9 must be on the nodes:'
    """
    if reason not in PULL_FAILURES or registry or not image.startswith(COURSE_PREFIX):
        return None
    return (
        f"{image} must be on the nodes: `make images` builds orchestra/model:v1 to v3 and "
        "loads them (kind load); any other tag is pulled from Docker Hub. Check the tag. If "
        f"the nodes pulled these images from a registry before ({ENV}), the kubelet pulls "
        f"again for the loaded name: set {ENV} again, or recreate the cluster "
        "(make cluster-delete cluster images)."
    )


def with_registry(obj: Any, registry: str | None) -> Any:
    """A copy of a manifest object with its course images under ``registry``.

    Only the containers and initContainers of a pod spec are touched (where the kubelet reads
    the image); anything that is not a workload kind, or not a mapping, is returned unchanged.
    """
    if not registry or not isinstance(obj, dict):
        return obj
    path = _TEMPLATE_PATHS.get(obj.get("kind", ""))
    if path is None:
        return obj
    spec: Any = obj
    for key in path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return obj
    if not any(_needs(spec.get(field), registry) for field in ("containers", "initContainers")):
        return obj
    out = copy.deepcopy(obj)
    spec = out
    for key in path:
        spec = spec[key]
    for field in ("containers", "initContainers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict) and "image" in container:
                container["image"] = registry_image(container["image"], registry)
    return out


def _needs(containers: Any, registry: str) -> bool:
    if not isinstance(containers, list):
        return False
    return any(
        isinstance(c, dict) and registry_image(c.get("image"), registry) != c.get("image")
        for c in containers
    )
