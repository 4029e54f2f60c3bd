"""Server-side apply and managed fields: which field manager set which field.

Every write through the simulator's API records its field manager (the request's
``fieldManager``, else the client's User-Agent name) in ``metadata.managedFields``: an
``Apply`` entry holds exactly the fields of that manager's last applied configuration; an
``Update`` entry the fields its writes changed. A field one manager changes leaves every
other manager's set.

Server-side apply (PATCH with ``application/apply-patch+yaml``) merges the configuration
into the live object: maps merge, associative lists merge item by item on their keys
(containers by name, container ports by containerPort and protocol, Service ports by port
and protocol, env by name, ...), every other list and every scalar is replaced; a field the
manager applied before and now leaves out is removed unless another manager owns it. A field
the configuration sets to another value than the live one while another manager owns it is
a conflict: 409 ``Apply failed with 1 conflict: conflict with "kubectl-scale" with
subresource "scale" using apps/v1: .spec.replicas``, unless ``force=true``, which takes the
field over. (kubernetes.io/docs/reference/using-api/server-side-apply/)

Kept simpler than the real server (structured-merge-diff), and said so: lists other than
the associative ones below are atomic (no sets); writes the notebook makes through the
Python API record no manager; the watch event of a write carries the object as stored
before its managedFields are updated.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from helpers.sim.clock import iso
from helpers.sim.httpapi.statuses import ApiError

# Fields no manager owns: identity, system metadata, status.
_SYSTEM_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"}  # fmt: skip
# Associative lists and their keys (x-kubernetes-list-map-keys in Kubernetes' OpenAPI).
LIST_KEYS = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",), "ownerReferences": ("uid",), "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}  # fmt: skip
KEY_DEFAULTS = {"protocol": "TCP"}
_MISSING = object()

Path = tuple[str, ...]


def _keys(path: Path, field: str) -> tuple[str, ...] | None:
    if field == "ports":  # a container's ports, or a Service's
        in_container = any(p.startswith("k:") for p in path)
        return ("containerPort", "protocol") if in_container else ("port", "protocol")
    return LIST_KEYS.get(field)


def _item_key(keys: tuple[str, ...], item: dict) -> str:
    fields = {k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys if k in item or k in KEY_DEFAULTS}
    return "k:" + json.dumps(fields, sort_keys=True, separators=(",", ":"))


def field_paths(obj: dict[str, Any]) -> set[Path]:
    """Every field path of ``obj`` a manager can own (status and system metadata left out)."""
    out: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata":
            meta = {k: v for k, v in (value or {}).items() if k not in _SYSTEM_META}
            _walk(meta, ("f:metadata",), out)
            continue
        _walk_value(value, (f"f:{key}",), key, out)
    return out


def _walk(mapping: dict, path: Path, out: set[Path]) -> None:
    for key, value in mapping.items():
        _walk_value(value, (*path, f"f:{key}"), key, out)


def _walk_value(value: Any, path: Path, field: str, out: set[Path]) -> None:
    keys = _keys(path, field) if isinstance(value, list) else None
    if isinstance(value, dict) and value:
        _walk(value, path, out)
    elif keys and all(isinstance(i, dict) for i in value):
        for item in value:
            item_path = (*path, _item_key(keys, item))
            out.add(item_path)
            _walk(item, item_path, out)
    else:
        out.add(path)  # a scalar, an empty map, or an atomic list


def value_at(obj: Any, path: Path) -> Any:
    """The value at ``path`` in ``obj``, or a private marker when absent."""
    cur = obj
    for part in path:
        if part.startswith("f:") and isinstance(cur, dict):
            cur = cur.get(part[2:], _MISSING)
        elif part.startswith("k:") and isinstance(cur, list):
            want = json.loads(part[2:])
            cur = next((i for i in cur if isinstance(i, dict)
                        and all(i.get(k, KEY_DEFAULTS.get(k)) == v for k, v in want.items())),
                       _MISSING)  # fmt: skip
        else:
            return _MISSING
        if cur is _MISSING:
            return _MISSING
    return cur


def readable(path: Path) -> str:
    """``.spec.template.spec.containers[name="model"].image``, as the server names a field."""
    out = ""
    for part in path:
        if part.startswith("f:"):
            out += "." + part[2:]
        else:
            keys = json.loads(part[2:])
            out += "[" + ",".join(f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}"
                                  for k, v in keys.items()) + "]"  # fmt: skip
    return out


# ---- fieldsV1, the stored form --------------------------------------------------------------
def to_fields_v1(paths: set[Path]) -> dict:
    """The FieldsV1 trie of ``paths`` ("." marks a node that is itself owned)."""
    root: dict = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(part, {})
    for path in paths:
        node = root
        for part in path:
            node = node[part]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(trie: dict, prefix: Path = ()) -> set[Path]:
    """The paths a FieldsV1 trie names."""
    out: set[Path] = set()
    for part, node in trie.items():
        if part == ".":
            continue
        path = (*prefix, part)
        if not node or "." in node or part.startswith("k:"):
            out.add(path)
        out |= from_fields_v1(node, path)
    return out


def entries(obj: dict) -> list[dict]:
    """metadata.managedFields as stored (a copy)."""
    return copy.deepcopy((obj.get("metadata") or {}).get("managedFields") or [])


def _owned(entry: dict) -> set[Path]:
    return from_fields_v1(entry.get("fieldsV1") or {})


def _entry(manager: str, operation: str, api_version: str, now: float, paths: set[Path],
           subresource: str | None) -> dict:  # fmt: skip
    out = {"manager": manager, "operation": operation, "apiVersion": api_version,
           "time": iso(now), "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}  # fmt: skip
    if subresource:
        out["subresource"] = subresource
    return out


def _same(entry: dict, manager: str, operation: str, subresource: str | None) -> bool:
    return (entry["manager"], entry["operation"], entry.get("subresource")) == (
        manager, operation, subresource)  # fmt: skip


# ---- recording writes --------------------------------------------------------------------------
def after_update(before: dict | None, after: dict, manager: str, now: float,
                 subresource: str | None = None) -> list[dict]:  # fmt: skip
    """managedFields after an Update by ``manager``: it owns what it changed, others lose it."""
    now_paths = field_paths(after)
    changed = {p for p in now_paths if before is None or value_at(before, p) != value_at(after, p)}
    out = []
    mine = set()
    for entry in entries(before or {}):
        owned = _owned(entry) & now_paths
        if _same(entry, manager, "Update", subresource):
            mine = owned
            continue
        owned -= changed
        if owned:
            entry["fieldsV1"] = to_fields_v1(owned)
            out.append(entry)
    mine |= changed
    if mine:
        out.append(_entry(manager, "Update", after["apiVersion"], now, mine, subresource))
    return out


# ---- server-side apply --------------------------------------------------------------------------
def _merge(live: Any, config: Any, path: Path, field: str) -> Any:
    if isinstance(config, dict) and isinstance(live, dict):
        out = dict(live)
        for key, value in config.items():
            out[key] = _merge(live.get(key), value, (*path, f"f:{key}"), key)
        return out
    keys = _keys(path, field) if isinstance(config, list) else None
    if keys and isinstance(live, list):
        out = list(live)
        for item in config:
            key = _item_key(keys, item)
            at = next((i for i, old in enumerate(out) if isinstance(old, dict)
                       and _item_key(keys, old) == key), None)  # fmt: skip
            if at is None:
                out.append(item)
            else:
                out[at] = _merge(out[at], item, (*path, key), field)
        return out
    return copy.deepcopy(config)


def _remove(obj: Any, path: Path) -> None:
    parent = value_at(obj, path[:-1]) if len(path) > 1 else obj
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        want = value_at(obj, path)
        if want is not _MISSING:
            parent.remove(want)


def conflict(conflicts: list[tuple[Path, dict]]) -> ApiError:
    """409 Conflict as the API server words an apply that would take others' fields."""
    parts = []
    for path, entry in conflicts:
        sub = f' with subresource "{entry["subresource"]}"' if entry.get("subresource") else ""
        parts.append((f'conflict with "{entry["manager"]}"{sub} using {entry["apiVersion"]}', path))
    n = len(parts)
    if n == 1:
        message = f"Apply failed with 1 conflict: {parts[0][0]}: {readable(parts[0][1])}"
    else:
        lines = "\n".join(f"* {who}: {readable(path)}" for who, path in parts)
        message = f"Apply failed with {n} conflicts: {lines}"
    causes = [{"reason": "FieldManagerConflict", "message": who, "field": readable(path)}
              for who, path in parts]  # fmt: skip
    return ApiError(409, "Conflict", message, {"causes": causes})


def apply(live: dict | None, config: dict, manager: str, force: bool, now: float
          ) -> tuple[dict, list[dict]]:  # fmt: skip
    """(the object to store, its managedFields) for ``manager`` applying ``config``.

    Raises:
        ApiError: 409 on conflicts with other managers (unless ``force``).
    """
    applied = field_paths(config)
    current = entries(live or {})
    base = {k: v for k, v in (live or {}).items() if k != "status"}
    previous: set[Path] = set()
    others: list[tuple[dict, set[Path]]] = []
    for entry in current:
        if _same(entry, manager, "Apply", None):
            previous = _owned(entry)
        else:
            others.append((entry, _owned(entry)))
    found = []
    for path in sorted(applied):
        theirs = [e for e, owned in others if path in owned]
        if theirs and value_at(base, path) != value_at(config, path):
            leaf = not isinstance(value_at(config, path), (dict, list)) or path[-1].startswith("f:")
            if leaf:
                found += [(path, e) for e in theirs]
    if found and not force:
        raise conflict(found)
    merged = _merge(base, config, (), "")
    owned_by_others = set().union(*(o for _, o in others)) if others else set()
    for path in sorted(previous - applied - owned_by_others, key=len, reverse=True):
        _remove(merged, path)
    taken = {path for path, _ in found}
    out = []
    for entry, owned in others:
        keep = owned - taken
        if keep:
            entry["fieldsV1"] = to_fields_v1(keep)
            out.append(entry)
    out.append(_entry(manager, "Apply", config.get("apiVersion", ""), now, applied, None))
    return merged, out
