"""Where each kind the labs use lives in the Kubernetes REST API.

A fixed table instead of API discovery: the labs use a handful of stable kinds, and a
table keeps every request one round trip (and the fake API server in the tests small).
(kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from helpers.core.api import canonical_kind
from helpers.errors import ManifestError


@dataclass(frozen=True)
class Resource:
    """One REST resource: ``group_version`` ("v1", "apps/v1"), ``plural`` and scope."""

    kind: str
    group_version: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        """The URL path of the collection, an object, or an object's subresource.

        Example:
            >>> RESOURCES["Deployment"].path("default", "model")
            '/apis/apps/v1/namespaces/default/deployments/model'
        """
        root = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace is not None:
            root += f"/namespaces/{quote(namespace, safe='')}"
        path = f"{root}/{self.plural}"
        if name is not None:
            path += f"/{quote(name, safe='')}"
            if sub:
                path += f"/{sub}"
        return path


RESOURCES: dict[str, Resource] = {
    r.kind: r
    for r in (
        Resource("Namespace", "v1", "namespaces", namespaced=False),
        Resource("Node", "v1", "nodes", namespaced=False),
        Resource("Pod", "v1", "pods"),
        Resource("Service", "v1", "services"),
        Resource("ConfigMap", "v1", "configmaps"),
        Resource("Endpoints", "v1", "endpoints"),
        Resource("Event", "v1", "events"),
        Resource("Deployment", "apps/v1", "deployments"),
        Resource("ReplicaSet", "apps/v1", "replicasets"),
        Resource("HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers"),
        Resource("PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"),
        Resource("EndpointSlice", "discovery.k8s.io/v1", "endpointslices"),
    )
}


def resource_for(kind: str, api_version: str | None = None) -> Resource:
    """The Resource for a kind (any alias kubectl accepts), checking ``api_version`` if given.

    Example:
        >>> resource_for("deploy").plural
        'deployments'
    """
    name = canonical_kind(kind)
    res = RESOURCES.get(name)
    if res is None:
        known = ", ".join(sorted(RESOURCES))
        raise ManifestError(
            f"The labs' kube backend does not handle kind {kind!r}.",
            f"Use one of: {known}; or apply this object with kubectl.",
        )
    if api_version is not None and api_version != res.group_version:
        raise ManifestError(
            f"{name} is served as apiVersion {res.group_version!r}, not {api_version!r}.",
            f"Write `apiVersion: {res.group_version}` in the manifest.",
        )
    return res
