"""The one table of Kubernetes kinds the kit knows: names, aliases, REST paths, scope.

Both backends, the cluster API, the notebook kubectl and the test fakes read this table;
nothing else describes a kind. Each row is what the API server's discovery documents for
the resource (``kubectl api-resources`` prints the same columns: NAME, SHORTNAMES,
APIVERSION, NAMESPACED, KIND), checked in tests against the paths of the official
``kubernetes`` client. (kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris)

Example:
    >>> lookup("deploy").path("default", "model")
    '/apis/apps/v1/namespaces/default/deployments/model'
    >>> lookup("pods").kind, lookup("po").resource, lookup("hpa").resource
    ('Pod', 'pods', 'horizontalpodautoscalers.autoscaling')
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Kind:
    """One API resource: its kind, group, version, plural, scope and short names.

    Attributes:
        kind: the object's ``kind`` field, e.g. "Deployment".
        group: the API group, "" for the core group.
        version: the served version, e.g. "v1".
        plural: the REST resource name, e.g. "deployments".
        namespaced: False for cluster-scoped kinds (Node, Namespace).
        short_names: kubectl's short names, e.g. ("deploy",).
    """

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        """The manifest's ``apiVersion``: "v1" in the core group, else "group/version"."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """The name kubectl prints in errors: ``deployments.apps``, ``pods``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        """The lower-case kind, as discovery's singularName: "deployment"."""
        return self.kind.lower()

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        """The URL path of the collection, an object, or an object's subresource.

        Example:
            >>> KINDS["Node"].path(name="w1", sub="status")
            '/api/v1/nodes/w1/status'
        """
        root = f"/apis/{self.group_version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            root += f"/namespaces/{quote(namespace, safe='')}"
        path = f"{root}/{self.plural}"
        if name is not None:
            path += f"/{quote(name, safe='')}"
            if sub:
                path += f"/{sub}"
        return path


# Short names as the API server's discovery lists them (kubectl api-resources, v1.36).
KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind("Namespace", "", "v1", "namespaces", namespaced=False, short_names=("ns",)),
        Kind("Node", "", "v1", "nodes", namespaced=False, short_names=("no",)),
        Kind("Pod", "", "v1", "pods", short_names=("po",)),
        Kind("Service", "", "v1", "services", short_names=("svc",)),
        Kind("ConfigMap", "", "v1", "configmaps", short_names=("cm",)),
        Kind("Secret", "", "v1", "secrets"),
        Kind("Endpoints", "", "v1", "endpoints", short_names=("ep",)),
        Kind("Event", "", "v1", "events", short_names=("ev",)),
        Kind("Deployment", "apps", "v1", "deployments", short_names=("deploy",)),
        Kind("ReplicaSet", "apps", "v1", "replicasets", short_names=("rs",)),
        Kind("DaemonSet", "apps", "v1", "daemonsets", short_names=("ds",)),
        Kind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers",
             short_names=("hpa",)),
        Kind("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", short_names=("pdb",)),
        Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices"),
    )
}  # fmt: skip


# Resources served at a second group version over the same objects, as the API server
# serves events.k8s.io/v1 Events from the core Events' storage (converted on the way out,
# pkg/apis/events/v1/conversion.go). Not in KINDS: a kind name maps to its core resource
# (kubectl's RESTMapper prefers the core group for "events" too); reach them by their path
# or as ``events.events.k8s.io``.
SERVED_VIEWS: tuple[Kind, ...] = (
    Kind("Event", "events.k8s.io", "v1", "events", short_names=("ev",)),
)


def served() -> tuple[Kind, ...]:
    """Every resource the API server serves: the kinds table, then the views."""
    return (*KINDS.values(), *SERVED_VIEWS)


def _aliases() -> dict[str, Kind]:
    out: dict[str, Kind] = {}
    for k in KINDS.values():
        for alias in (k.kind.lower(), k.plural, k.resource, *k.short_names):
            out[alias] = k
    return out


_ALIASES = _aliases()


def find(name: str) -> Kind | None:
    """The Kind for any name kubectl accepts (kind, singular, plural, short name,
    ``plural.group``), case-insensitive; None when the kit does not know it."""
    return _ALIASES.get(name.lower())


def lookup(name: str) -> Kind:
    """Like ``find``, but raises ``KeyError`` naming the known kinds for an unknown name.

    Example:
        >>> lookup("svc").kind
        'Service'
    """
    found = find(name)
    if found is None:
        raise KeyError(f"unknown kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return found


def canonical_kind(name: str) -> str:
    """``"deploy"``, ``"deployments"`` or ``"Deployment"`` -> ``"Deployment"``; an unknown
    name is returned capitalized (the backends then refuse it in their own words)."""
    found = find(name)
    return found.kind if found else name[:1].upper() + name[1:]


def by_path(group_version: str, plural: str) -> Kind | None:
    """The Kind served at ``/api[s]/<group_version>/.../<plural>``, or None (a view of
    SERVED_VIEWS included: ``by_path("events.k8s.io/v1", "events")``)."""
    for k in served():
        if k.group_version == group_version and k.plural == plural:
            return k
    return None
