"""The fake API server's verbs: list, get, create, apply, merge patch, delete, evict.

Validation is the one rule the tests need (a Deployment's replicas must be >= 0), answered
as the API server does: 422 with a Status whose causes name the field.
"""

from __future__ import annotations

from helpers.core.kinds import by_path
from helpers.core.manifests import merge_patch
from tests.kube.fakestate import KINDS, selected, status


def _invalid(kind: str, obj: dict) -> dict | None:
    replicas = (obj.get("spec") or {}).get("replicas")
    if kind == "Deployment" and isinstance(replicas, int) and replicas < 0:
        name = obj["metadata"]["name"]
        cause = {
            "reason": "FieldValueInvalid",
            "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
            "field": "spec.replicas",
        }
        msg = f'Deployment.apps "{name}" is invalid: spec.replicas: {cause["message"]}'
        return status(422, "Invalid", msg, {"name": name, "kind": "deployments", "causes": [cause]})
    return None


def dispatch(h, method: str, where: tuple, query: dict, body, ctype: str) -> None:
    """Serve one request already routed to (group/version, plural, namespace, name, sub)."""
    api, state = h.api, h.api.state
    gv, plural, ns, name, sub = where
    res = (gv, plural)
    kind, namespaced = KINDS[res]
    if not namespaced:
        ns = None
    # As the API server words it: deployments.apps "x" not found (details: group, kind).
    row = by_path(gv, plural)
    details = (
        {"name": name, "group": row.group, "kind": plural}
        if row.group
        else {"name": name, "kind": plural}
    )
    missing = status(404, "NotFound", f'{row.resource} "{name}" not found', details)
    if method == "GET" and name is None:
        if query.get("watch") in ("true", "1"):
            return h.watch(res, ns, query)
        items = [o for o in state.items(res, ns) if selected(o, query.get("labelSelector"))]
        for item in items:  # a list's items carry no apiVersion and kind
            item.pop("apiVersion", None)
            item.pop("kind", None)
        meta = {"resourceVersion": str(state.rv)}
        return h._send(
            200, {"kind": f"{kind}List", "apiVersion": gv, "metadata": meta, "items": items}
        )
    if method == "GET":
        obj = state.get(res, ns, name)
        return h._send(200, obj) if obj else h._send(404, missing)
    if method == "POST" and sub == "eviction":
        key = f"{ns}/{name}"
        if state.get(res, ns, name) is None:
            return h._send(404, missing)
        if api.evict_refusals.get(key, 0) > 0:
            api.evict_refusals[key] -= 1
            msg = "Cannot evict pod as it would violate the pod's disruption budget."
            return h._send(429, status(429, "TooManyRequests", msg))
        state.remove(res, ns, name)
        return h._send(
            201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}
        )
    if method == "POST":
        name = body["metadata"]["name"]
        if state.get(res, ns, name) is not None:
            msg = f'{plural} "{name}" already exists'
            return h._send(409, status(409, "AlreadyExists", msg))
        if err := _invalid(kind, body):
            return h._send(422, err)
        return h._send(201, state.write(res, ns, body)[0])
    if method == "PATCH":
        if (
            ns is not None
            and plural != "namespaces"
            and state.get(("v1", "namespaces"), None, ns) is None
        ):
            msg = f'namespaces "{ns}" not found'
            return h._send(404, status(404, "NotFound", msg, {"name": ns, "kind": "namespaces"}))
        old = state.get(res, ns, name)
        if ctype.startswith("application/apply-patch+yaml"):
            if query.get("fieldManager") != "orchestra-labs":
                return h._send(400, status(400, "BadRequest", "fieldManager is required for apply"))
            new = merge_patch(old or {}, body)  # applied fields win; fields set by others stay
        elif ctype.startswith("application/merge-patch+json"):
            if old is None:
                return h._send(404, missing)
            new = merge_patch(old, body)
        else:
            return h._send(415, status(415, "UnsupportedMediaType", f"unsupported {ctype}"))
        if err := _invalid(kind, new):
            return h._send(422, err)
        if query.get("dryRun") == "All":  # every stage but storing (api-concepts/#dry-run)
            return h._send(200 if old else 201, new)
        return h._send(200 if old else 201, state.write(res, ns, new)[0])
    if method == "DELETE":
        obj = state.remove(res, ns, name)
        return h._send(200, obj) if obj else h._send(404, missing)
    return h._send(405, status(405, "MethodNotAllowed", method))
