"""Kubernetes' OpenAPI schemas (v1.36, the kit's cluster) and the Go names behind them.

The schemas come as JSON Schema from the kubernetes-validate package; its "strict" set has
``additionalProperties: false`` on every object, so unknown fields fail as they do under
kubectl's default ``--validate=strict``. ``walk`` and ``go_type`` recover the Go struct and
type names the API server's decoder prints, which JSON Schema messages do not carry.

Example:
    >>> walk("Deployment", ["spec", "selector", "matchLabels"])[:2]
    ('LabelSelector', ['spec', 'selector', 'matchLabels'])
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

from helpers.core.kinds import KINDS

# The kit's Kubernetes (cluster/tools.lock: kind's node image and kubectl are v1.36.1).
KUBERNETES_VERSION = "1.36.0"
_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"


@functools.cache
def _definitions() -> dict:
    return schema_contents(f"{_DIR}/_definitions.json", KUBERNETES_VERSION)


@functools.cache
def definitions() -> dict:
    """Every definition of the v1.36 schema, by its OpenAPI name (io.k8s.api.apps.v1.Deployment)."""
    return _definitions()["$defs"]


def validator(kind: str) -> Draft202012Validator:
    """The schema validator of one kind of kinds.KINDS, built once.

    kubernetes_validate.validate() would re-read the 5 MB definitions on every call (about
    25 ms); its schema files and loader are used here with one cached validator per kind.
    """
    row = KINDS[kind]
    api = f"{row.group.split('.')[0]}-{row.version}" if row.group else row.version
    schema = schema_contents(f"{_DIR}/{kind.lower()}-{api}.json", KUBERNETES_VERSION)
    registry = Resource.from_contents(_definitions()) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return Draft202012Validator(schema, registry=registry)


def field_path(path) -> str:
    """``spec.template.spec.containers[0].ports[0]``, as the API server writes a field."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def resolve(schema: dict) -> tuple[dict, str | None]:
    """The schema a ``$ref`` points at, with its definition's name (None when inline)."""
    ref = schema.get("$ref")
    if not ref:
        return schema, None
    name = ref.rsplit("/", 1)[-1]
    return _definitions()["$defs"][name], name


def walk(kind: str, path: list) -> tuple[str, list[str], dict, bool]:
    """Follow ``path`` through ``kind``'s schema the way Go's encoding/json does.

    Returns the Go struct that holds the last field, the JSON field names Go reports (no
    list indexes, no map keys), the schema at the end, and whether the end is a map value.
    """
    schema, struct, fields, in_map = validator(kind).schema, kind, [], False
    for step in path:
        schema, name = resolve(schema)
        if isinstance(step, int):
            schema, in_map = schema.get("items") or {}, False
            continue
        props = schema.get("properties") or {}
        if step in props:
            if name:
                struct = name.rsplit(".", 1)[-1]
            fields.append(step)
            schema, in_map = props[step], False
        else:
            extra = schema.get("additionalProperties")
            schema, in_map = (extra if isinstance(extra, dict) else {}), True
    return struct, fields, schema, in_map


def properties(kind: str, path: list) -> dict:
    """The fields the object at ``path`` takes, by name."""
    return resolve(walk(kind, path)[2])[0].get("properties") or {}


def go_type(schema: dict) -> str:
    """The Go type behind a schema, as reflect prints it: ``v1.ResourceRequirements``,
    ``[]v1.EnvVar``, ``map[string]string``, ``int32``."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name.endswith("intstr.IntOrString"):
            return "int32"  # IntOrString unmarshals a non-string as its int32 half
        return ".".join(name.split(".")[-2:])
    types = [t for t in schema.get("type") or [] if t != "null"]
    kind = types[0] if types else ""
    if kind == "array":
        return "[]" + go_type(schema.get("items") or {})
    if kind == "object":
        extra = schema.get("additionalProperties")
        return "map[string]" + (go_type(extra) if isinstance(extra, dict) else "interface {}")
    if kind == "integer":
        return schema.get("format") or "int64"
    return {"number": "float64", "boolean": "bool", "string": "string"}.get(kind, "interface {}")


def json_kind(value: Any, target: str = "") -> str:
    """How encoding/json names a value it cannot store: string, number, bool, array, object."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        # Go adds the literal when the number does not fit an integer type (1.5 into int32).
        if target.startswith(("int", "uint")) and not float(value).is_integer():
            return f"number {json.dumps(value)}"
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return re.sub(r"\W", "", type(value).__name__)
