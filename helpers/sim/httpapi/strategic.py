"""Strategic merge patch, as ``kubectl apply`` sends it (``application/strategic-merge-patch+json``).

Maps merge; ``null`` deletes; lists of the fields below merge item by item on their patch
merge key (a container by ``name``, a container port by ``containerPort``, a Service port
by ``port``), every other list is replaced whole, as the Go types' ``patchStrategy`` tags
say (k8s.io/api core/v1 types.go; tolerations carry no tag, so they are replaced).
Directives: ``$patch: delete|replace``, ``$retainKeys``, ``$setElementOrder/<list>``,
``$deleteFromPrimitiveList/<list>`` (k8s.io/apimachinery/pkg/util/strategicpatch).
"""

from __future__ import annotations

from typing import Any

MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "conditions": "type", "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey", "hostAliases": "ip", "resourceClaims": "name",
}  # fmt: skip


def _merge_key(field: str, items: list) -> str | None:
    if field == "ports":  # a container's ports merge on containerPort, a Service's on port
        probe = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in probe else "port"
    return MERGE_KEYS.get(field)


def apply(original: Any, patch: Any) -> Any:
    """``original`` with the strategic merge ``patch`` applied (a new value).

    Example:
        >>> apply({"containers": [{"name": "a", "image": "v1"}, {"name": "b"}]},
        ...       {"containers": [{"name": "a", "image": "v2"}]})
        {'containers': [{'name': 'a', 'image': 'v2'}, {'name': 'b'}]}
    """
    if not isinstance(patch, dict):
        return patch
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    out = dict(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
        elif key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            out[field] = [v for v in out.get(field) or [] if v not in value]
        elif key.startswith("$"):
            continue
        elif value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            if value.get("$patch") == "delete":
                out.pop(key, None)
            else:
                out[key] = apply(out.get(key), value)
        elif isinstance(value, list) and _merge_key(key, value):
            out[key] = _merge_list(out.get(key) or [], value, _merge_key(key, value))
        else:
            out[key] = value
    for field, order in orders.items():
        key = _merge_key(field, order)
        if key and isinstance(out.get(field), list):
            out[field] = _reorder(out[field], order, key)
    if retain is not None:
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(original: list, patch: list, key: str) -> list:
    out = list(original)
    for item in patch:
        if not isinstance(item, dict):
            continue
        index = next((i for i, o in enumerate(out) if o.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del out[index]
        elif index is None:
            out.append(apply({}, item))
        else:
            out[index] = apply(out[index], item)
    return out


def _reorder(items: list, order: list, key: str) -> list:
    rank = {o.get(key): i for i, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda o: rank.get(o.get(key), len(rank)))


def merge_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch that turns ``old`` into ``new`` (removed keys become None).

    Example:
        >>> merge_diff({"a": 1, "b": {"c": 2}}, {"b": {"c": 3}})
        {'a': None, 'b': {'c': 3}}
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    out: dict = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key not in old:
            out[key] = value
        elif old[key] != value:
            out[key] = merge_diff(old[key], value)
    return out
