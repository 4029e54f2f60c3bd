"""Discovery: ``/version``, ``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``,
and the small OpenAPI v3 index kubectl reads before ``apply``.

Built from the kinds table (helpers.core.kinds), so a kind the kit knows is served here
with no second list. kubectl 1.36 first asks for aggregated discovery
(``as=APIGroupDiscoveryList``) at ``/api`` and ``/apis``: one response each lists every
group, version and resource (``apidiscovery.k8s.io/v2``, KEP-3352), so kubectl needs no
request per group-version. Clients that do not ask for it (the Python client) get the
unaggregated documents, as from the real server (k8s.io/client-go/discovery: the response's
Content-Type says which form came back, ``ContentTypeIsGVK``).
"""

from __future__ import annotations

from helpers.core.kinds import Kind, served
from helpers.sim.httpapi import metricsapi, openapischemas

VERSION = {
    "major": "1",
    "minor": "36",
    "gitVersion": "v1.36.1-sim",  # "-sim": kubectl version shows which server answered
    "gitCommit": "",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "python",
    "compiler": "orchestra",
    "platform": "linux/amd64",
}

# Kinds `kubectl get all` lists (the "all" category of the real server).
ALL_CATEGORY = {
    "Pod",
    "Service",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "HorizontalPodAutoscaler",
}
READ_ONLY = {"Event", "Endpoints", "EndpointSlice"}  # rendered by the simulator, not stored


# kubectl drain looks for pods/eviction here before it evicts (else it deletes).
POD_SUBRESOURCES = [
    {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
     "version": "v1", "kind": "Eviction", "verbs": ["create"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {"name": "pods/status", "singularName": "", "namespaced": True, "kind": "Pod",
     "verbs": ["get"]},
]  # fmt: skip


def _verbs(kind: Kind) -> list[str]:
    if kind.kind in READ_ONLY:
        return ["get", "list", "watch"]  # Events too: the hub streams them (watches.py)
    return ["create", "delete", "get", "list", "patch", "update", "watch"]


def _resources(group_version: str) -> list[dict]:
    out = []
    for kind in served():
        if kind.group_version != group_version:
            continue
        entry = {
            "name": kind.plural,
            "singularName": kind.singular,
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": _verbs(kind),
        }
        if kind.short_names:
            entry["shortNames"] = list(kind.short_names)
        if kind.kind in ALL_CATEGORY:
            entry["categories"] = ["all"]
        out.append(entry)
        if kind.kind == "Pod":
            out += POD_SUBRESOURCES
        if kind.kind == "Deployment" or kind.kind == "ReplicaSet":
            out.append(
                {
                    "name": f"{kind.plural}/scale",
                    "singularName": "",
                    "namespaced": True,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
    return out


AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """Whether an Accept header lists aggregated discovery v2 (kubectl's first choice)."""
    for item in accept.split(","):
        base, _, rest = item.strip().partition(";")
        params = dict(p.strip().split("=", 1) for p in rest.split(";") if "=" in p)
        if (
            base.strip() == "application/json"
            and params.get("g") == "apidiscovery.k8s.io"
            and params.get("v") == "v2"
            and params.get("as") == "APIGroupDiscoveryList"
        ):
            return True
    return False


def _gvk(group_version: str, kind: str) -> dict:
    group, _, version = group_version.rpartition("/")
    return {"group": group, "version": version, "kind": kind}


def _aggregated_version(group_version: str, legacy: list[dict]) -> dict:
    """One APIVersionDiscovery from the unaggregated resources of ``group_version``:
    subresources (``pods/eviction``) go under their resource."""
    resources: dict[str, dict] = {}
    for entry in legacy:
        if "/" in entry["name"]:
            continue
        item = {
            "resource": entry["name"],
            "responseKind": _gvk(group_version, entry["kind"]),
            "scope": "Namespaced" if entry["namespaced"] else "Cluster",
            "singularResource": entry["singularName"],
            "verbs": entry["verbs"],
        }
        for field in ("shortNames", "categories"):
            if entry.get(field):
                item[field] = entry[field]
        resources[entry["name"]] = item
    for entry in legacy:
        parent, slash, sub = entry["name"].partition("/")
        if not slash or parent not in resources:
            continue
        sub_gv = f"{entry['group']}/{entry['version']}" if entry.get("group") else group_version
        resources[parent].setdefault("subresources", []).append(
            {
                "subresource": sub,
                "responseKind": _gvk(sub_gv, entry["kind"]),
                "verbs": entry["verbs"],
            }
        )
    version = group_version.rpartition("/")[2]
    return {"version": version, "resources": list(resources.values()), "freshness": "Current"}


def aggregated(path: str) -> dict | None:
    """The APIGroupDiscoveryList at ``/api`` (the core group) or ``/apis`` (every other
    group, metrics.k8s.io included), or None for another path."""
    if path == "/api":
        items = [{"metadata": {"creationTimestamp": None},
                  "versions": [_aggregated_version("v1", _resources("v1"))]}]  # fmt: skip
    elif path == "/apis":
        items = []
        for group, versions in group_versions().items():
            if not group:
                continue
            items.append({
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [_aggregated_version(f"{group}/{v}", _resources(f"{group}/{v}"))
                             for v in versions],
            })  # fmt: skip
        metrics_gv = metricsapi.GROUP_VERSION
        items.append({
            "metadata": {"name": metricsapi.GROUP["name"], "creationTimestamp": None},
            "versions": [_aggregated_version(metrics_gv, metricsapi.RESOURCES["resources"])],
        })  # fmt: skip
    else:
        return None
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}  # fmt: skip


def group_versions() -> dict[str, list[str]]:
    """Group name -> served versions ("" is the core group)."""
    out: dict[str, list[str]] = {}
    for kind in served():
        versions = out.setdefault(kind.group, [])
        if kind.version not in versions:
            versions.append(kind.version)
    return out


def document(path: str, address: str) -> dict | None:
    """The discovery document at ``path``, or None when it is not a discovery path."""
    if path == "/version":
        return VERSION
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
        }
    if path == "/apis":
        groups = []
        for group, versions in group_versions().items():
            if group:
                gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
                groups.append({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
        groups.append(metricsapi.GROUP)  # served by metrics-server in a real cluster
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    if path == "/apis/metrics.k8s.io":
        return {"kind": "APIGroup", "apiVersion": "v1", **metricsapi.GROUP}
    parts = path.strip("/").split("/")
    if parts == ["api", "v1"] or (len(parts) == 3 and parts[0] == "apis"):
        gv = "v1" if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
        resources = _resources(gv)
        if resources:
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                    "resources": resources}  # fmt: skip
    if len(parts) == 2 and parts[0] == "apis" and parts[1] in group_versions():
        versions = group_versions()[parts[1]]
        gvs = [{"groupVersion": f"{parts[1]}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": parts[1], "versions": gvs,
                "preferredVersion": gvs[0]}  # fmt: skip
    return None


def openapi_v3(path: str) -> dict | None:
    """The OpenAPI v3 of a group-version: each kind's PATCH with its parameters, and the
    kinds' schemas (helpers.sim.httpapi.openapischemas).

    kubectl reads the parameters to learn that the server validates fields itself
    (``fieldValidation``: ``apply`` then leaves strict validation to the server), the
    schemas for ``kubectl explain`` and for the strategic-merge-patch metadata its patches
    follow (``x-kubernetes-patch-merge-key`` and ``-strategy``, as the apiserver serves them).
    """
    if path == "/openapi/v3":
        paths = {}
        for gv in {k.group_version for k in served()}:
            rel = "api/v1" if gv == "v1" else f"apis/{gv}"
            paths[rel] = {"serverRelativeURL": f"/openapi/v3/{rel}?hash=sim"}
        return {"paths": paths}
    rel = path.removeprefix("/openapi/v3/")
    gv = "v1" if rel == "api/v1" else rel.removeprefix("apis/")
    kinds = [k for k in served() if k.group_version == gv]  # events.k8s.io/v1 too
    if not kinds:
        return None
    paths = {}
    for kind in kinds:
        gvk = {"group": kind.group, "version": kind.version, "kind": kind.kind}
        patch = {
            "parameters": [
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
            ],
            "requestBody": {"content": {"application/merge-patch+json": {}}},
            "x-kubernetes-group-version-kind": gvk,
        }
        root = f"/apis/{gv}" if kind.group else "/api/v1"
        scope = "/namespaces/{namespace}" if kind.namespaced else ""
        paths[f"{root}{scope}/{kind.plural}/{{name}}"] = {"patch": patch}
    group, _, version = gv.rpartition("/")
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.36.1"},
        "paths": paths,
        # The kinds' schemas, for `kubectl explain` (and kubectl's patch metadata).
        "components": {"schemas": openapischemas.schemas_for(group, version)},
    }
