"""JSON Patch (RFC 6902, ``application/json-patch+json``), as ``kubectl patch --type json``
and ``kubectl rollout undo`` send it.

Operations ``add``, ``remove``, ``replace``, ``move``, ``copy`` and ``test`` on JSON
Pointer paths (RFC 6901: ``~1`` is ``/``, ``~0`` is ``~``; ``-`` appends to a list).
A failing operation raises ValueError with the real server's words, which the caller
turns into a 422 (k8s.io/apiserver/pkg/endpoints/handlers/patch.go uses evanphx/json-patch).
"""

from __future__ import annotations

import copy
from typing import Any


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"invalid JSON pointer {pointer!r}: it must start with /")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise ValueError("the root of the object cannot be patched")
    cur = doc
    for token in tokens[:-1]:
        cur = _child(cur, token, pointer)
    return cur, tokens[-1]


def _child(container: Any, token: str, pointer: str) -> Any:
    if isinstance(container, dict) and token in container:
        return container[token]
    if isinstance(container, list) and token.isdigit() and int(token) < len(container):
        return container[int(token)]
    raise ValueError(f"doc is missing path: {pointer!r}: missing value")


def _get(doc: Any, pointer: str) -> Any:
    cur = doc
    for token in _tokens(pointer):
        cur = _child(cur, token, pointer)
    return cur


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, key = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        index = len(parent) if key == "-" else int(key) if key.isdigit() else -1
        if not 0 <= index <= len(parent):
            raise ValueError(f"unable to add to {pointer!r}: index out of bounds")
        parent.insert(index, value)
    else:
        raise ValueError(f"doc is missing path: {pointer!r}: missing value")


def _remove(doc: Any, pointer: str) -> Any:
    parent, key = _parent(doc, pointer)
    value = _child(parent, key, pointer)
    if isinstance(parent, dict):
        del parent[key]
    else:
        del parent[int(key)]
    return value


def apply(doc: Any, operations: list) -> Any:
    """``doc`` with the JSON Patch ``operations`` applied (a new value; ``doc`` is untouched).

    Example:
        >>> apply({"spec": {"replicas": 1}}, [{"op": "replace", "path": "/spec/replicas",
        ...                                     "value": 3}])
        {'spec': {'replicas': 3}}
    """
    if not isinstance(operations, list):
        raise ValueError("a JSON patch is a list of operations")
    out = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or "path" not in op:
            raise ValueError(f"invalid JSON patch operation: {op!r}")
        kind, path = op.get("op"), op["path"]
        if kind == "add":
            _add(out, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(out, path)
        elif kind == "replace":
            _remove(out, path)
            _add(out, path, copy.deepcopy(op.get("value")))
        elif kind == "move":
            _add(out, path, _remove(out, op.get("from", "")))
        elif kind == "copy":
            _add(out, path, copy.deepcopy(_get(out, op.get("from", ""))))
        elif kind == "test":
            if _get(out, path) != op.get("value"):
                raise ValueError(f"testing value {path} failed: test failed")
        else:
            raise ValueError(f"unexpected kind of JSON patch operation: {kind!r}")
    return out
