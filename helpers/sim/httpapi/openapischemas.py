"""The API's schemas as the OpenAPI v3 document of a group-version serves them.

``kubectl explain`` reads ``components.schemas`` of ``/openapi/v3/apis/<group>/<version>``:
it finds the kind by ``x-kubernetes-group-version-kind``, walks the field path through
``$ref`` and ``allOf``, and prints each field's type and description. The schemas come from
the same Kubernetes v1.36 definitions the simulator validates with (kubernetes-validate's
JSON Schema, helpers.core.openapi), turned back into the OpenAPI v3 form the apiserver
serves: ``$ref`` into ``#/components/schemas/``, a described reference as ``allOf``, one
type per field (JSON Schema's ``["string", "null"]`` is OpenAPI's ``string``), IntOrString
and Quantity as the apiserver writes them, and no ``additionalProperties: false`` (the
strict variant's addition). (kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-v3)
"""

from __future__ import annotations

import functools
from typing import Any

from helpers.core import openapi

_REF = "#/$defs/"
_COMPONENTS = "#/components/schemas/"
# The two apimachinery scalars as the apiserver's OpenAPI v3 writes them (v1.36
# api/openapi-spec/v3): a oneOf without a type, so `kubectl explain` names them by type
# (<IntOrString>, <Quantity>) rather than printing <string>.
_SCALARS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "oneOf": [{"type": "string"}, {"type": "number"}]},
}  # fmt: skip


def _convert(node: Any, name: str = "") -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    if name in _SCALARS:
        return {"description": node.get("description", ""), **_SCALARS[name]}
    scalar = _scalar_ref(node)
    if scalar is not None:  # a field inlined as oneOf: the apiserver refers to the type
        described = {"description": node["description"]} if "description" in node else {}
        return {**described, "allOf": [{"$ref": _COMPONENTS + scalar}]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "additionalProperties" and value is False:
            continue
        if key == "type" and isinstance(value, list):
            value = next((t for t in value if t != "null"), "string")
        elif key == "$ref":
            value = _COMPONENTS + value.removeprefix(_REF)
        elif key == "properties":
            value = {field: _convert(schema) for field, schema in value.items()}
            for field in ("apiVersion", "kind"):  # the apiserver lists no enum for these
                if isinstance(value.get(field), dict):
                    value[field].pop("enum", None)
            out[key] = value
            continue
        out[key] = _convert(value)
    if "$ref" in out and len(out) > 1:  # a described reference: OpenAPI v3 ignores $ref's siblings
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    return out


def _scalar_ref(node: dict) -> str | None:
    """IntOrString or Quantity for a field written as oneOf(string, integer|number)."""
    options = node.get("oneOf")
    if not isinstance(options, list):
        return None
    types = {t for o in options for t in (o.get("type") or []) if t != "null"}
    if types == {"string", "integer"}:
        return "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
    if types == {"string", "number"}:
        return "io.k8s.apimachinery.pkg.api.resource.Quantity"
    return None


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            found.add(ref.removeprefix(_REF))
        scalar = _scalar_ref(node)
        if scalar is not None:
            found.add(scalar)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


@functools.cache
def schemas_for(group: str, version: str) -> dict[str, Any]:
    """``components.schemas`` for one group-version: its kinds' definitions and every
    definition they reach, converted to OpenAPI v3 (cached: built once per process)."""
    defs = openapi.definitions()
    roots = {
        name
        for name, schema in defs.items()
        if any(g.get("group", "") == group and g.get("version") == version
               for g in schema.get("x-kubernetes-group-version-kind", []))
    }  # fmt: skip
    todo, seen = list(roots), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(defs[name], found)
        todo.extend(found - seen)
    return {name: _convert(defs[name], name) for name in sorted(seen)}
