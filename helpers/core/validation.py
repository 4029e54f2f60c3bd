"""What kubectl and the API server refuse in a manifest, in their words, with the next step.

``manifests.load`` (both backends) calls ``validate`` on every object of a kind the kit
knows, against Kubernetes' v1.36 OpenAPI schema (helpers.core.openapi). The API server
refuses in this order, and so does ``validate``:

1. A value of the wrong JSON type fails decoding, the first one in the document. kubectl
   decodes ``metadata`` itself before sending: ``error: unable to decode "x.yaml": json:
   cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string``.
2. Unknown fields fail strict decoding, all named at once: ``Deployment in version "v1"
   cannot be handled as a Deployment: strict decoding error: unknown field "metadata.lables"``.
3. Missing required fields fail validation: ``The Deployment "web" is invalid:
   spec.selector: Required value``.

(kubernetes.io/docs/reference/using-api/api-concepts/#field-validation; the wording is from
k8s.io/apiserver handlers (transformDecodeError), k8s.io/apimachinery runtime
(strictDecodingError), Go's encoding/json (UnmarshalTypeError), kubectl's checkErr.)

Example:
    >>> validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {}})
    Traceback (most recent call last):
    helpers.errors.ManifestError: The Pod "a" is invalid: spec.containers: Required value ...
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import ValidationError

from helpers.core import openapi
from helpers.core.kinds import KINDS
from helpers.errors import ManifestError

# resource.Quantity's UnmarshalJSON error (k8s.io/apimachinery/pkg/api/resource/quantity.go):
# it names no field, so the hint does.
QUANTITY_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
# Shapes of objects that passed, per kind. A jsonschema run costs 1 to 3 ms a Deployment;
# re-applying a manifest, or many that differ only in names and values, skips it.
_PASSED: dict[tuple, None] = {}
_PASSED_MAX = 4096


def _shape(value: Any, out: list) -> list:
    """All the schemas can tell apart in a value, as flat tokens: keys and JSON types. Their
    only checks of a value are the apiVersion and kind enums, and the kind picks the
    validator, so objects of one shape pass or fail together. (Our own bit: jsonschema
    caches nothing per input.)"""
    if isinstance(value, Mapping):
        out.append("{")
        for k, v in value.items():
            out.append(f".{k}" if isinstance(k, str) else repr(k))  # never "}": unambiguous
            _shape(v, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for v in value:
            _shape(v, out)
        out.append("]")
    elif isinstance(value, str):
        out.append("s")
    elif isinstance(value, bool) or value is None:
        out.append(repr(value))
    elif isinstance(value, float) and not value.is_integer():
        out.append("f")  # refused where the schema wants an integer
    elif isinstance(value, (int, float)):
        out.append("i")
    else:
        out.append(type(value).__name__)
    return out


def validate(obj: Mapping[str, Any], source: str | None = "STDIN") -> None:
    """Raise ManifestError as kubectl and the API server would refuse ``obj``.

    Kinds the kit does not know, and apiVersions it does not serve, are left to the backends.

    Args:
        obj: one Kubernetes object, as loaded from YAML.
        source: the file kubectl would name; "STDIN" for text (``kubectl apply -f -``);
            None for a patch, which kubectl reports without a file.
    """
    row = KINDS.get(obj.get("kind")) if isinstance(obj.get("kind"), str) else None
    if row is None or obj.get("apiVersion") != row.group_version:
        return
    key = (row.kind, *_shape(obj, []))
    if key in _PASSED:
        return
    errors = list(openapi.validator(row.kind).iter_errors(obj))
    if errors:
        raise _refusal(obj, errors, source)
    if len(_PASSED) >= _PASSED_MAX:
        _PASSED.pop(next(iter(_PASSED)))
    _PASSED[key] = None


def _position(obj: Any, path: list) -> tuple:
    """Where ``path`` lies in the document, in the order a JSON decoder reads it."""
    out = []
    for step in path:
        if isinstance(obj, Mapping):
            keys = list(obj)
            out.append(keys.index(step) if step in obj else len(keys))
            obj = obj.get(step)
        elif isinstance(obj, list) and isinstance(step, int) and step < len(obj):
            out.append(step)
            obj = obj[step]
        else:
            break
    return tuple(out)


def _refusal(obj: Mapping, errors: list[ValidationError], source: str | None) -> ManifestError:
    types, unknown, missing = [], [], []
    for err in errors:
        path = list(err.absolute_path)
        if err.validator in ("type", "oneOf"):  # oneOf: IntOrString and Quantity
            types.append(path)
        elif err.validator == "additionalProperties":
            known = err.schema.get("properties") or {}
            unknown += [[*path, k] for k in err.instance if k not in known]
        elif err.validator == "required":  # one error per missing field, each naming all
            missing += [[*path, k] for k in err.validator_value if k not in err.instance]
    missing = [list(p) for p in dict.fromkeys(tuple(p) for p in missing)]

    def order(path):
        return _position(obj, path)

    if types:
        return _decode_error(obj, min(types, key=order), source)
    if unknown:
        return _unknown_fields(obj, sorted(unknown, key=order), source)
    if missing:
        return _required(obj, sorted(missing, key=order))
    first = errors[0]  # only the apiVersion and kind enums are left; the kind chose these
    return ManifestError(f"{openapi.field_path(first.absolute_path)}: {first.message}.")


def _server(obj: Mapping, source: str | None) -> str:
    # kubectl apply says "error when creating" for a new object (and "patching" for one that
    # exists; the kit validates before it knows which).
    where = f'error when creating "{source}": ' if source else ""
    kind, version = obj["kind"], obj["apiVersion"].rsplit("/", 1)[-1]
    return f'Error from server (BadRequest): {where}{kind} in version "{version}" cannot be handled as a {kind}: '


def _explain(obj: Mapping, path: list) -> str:
    names = [p for p in path if isinstance(p, str)]
    return f"`kubectl explain {'.'.join([obj['kind'].lower(), *names])}`"


def _decode_error(obj: Mapping, path: list, source: str | None) -> ManifestError:
    value = obj
    for step in path:
        value = value[step]
    struct, fields, schema, in_map = openapi.walk(obj["kind"], path)
    target = openapi.go_type(schema)
    client = source is not None and path[0] == "metadata"
    if schema.get("$ref", "").endswith("resource.Quantity"):
        err = QUANTITY_ERROR
    else:
        if client and len(path) == 1:
            struct = "metadataOnlyObject"  # kubectl's own metadata-only decode target
        kind = openapi.json_kind(value, target)
        err = f"json: cannot unmarshal {kind} into Go struct field {struct}.{'.'.join(fields)} of type {target}"
    what = f'error: unable to decode "{source}": {err}' if client else _server(obj, source) + err
    return ManifestError(what, _type_hint(obj, path, value, schema, target, in_map))


def _scalar(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _type_hint(obj, path: list, value, schema: dict, target: str, in_map: bool) -> str:
    where, key = openapi.field_path(path), path[-1]
    if schema.get("$ref", "").endswith("resource.Quantity"):
        return f"{where} is a quantity: a number with an optional unit, e.g. 250m or 128Mi."
    if target == "string":
        if in_map:  # the map's name says what it holds: labels, annotations, nodeSelector
            return f'{path[-2]} are strings: quote the value, {key}: "{_scalar(value)}" ({where}).'
        return f'{where} is a string: quote the value, {key}: "{_scalar(value)}".'
    if target.startswith("map["):
        if isinstance(value, str) and ":" in value:
            k, _, v = value.partition(":")
            return (
                f"{where} is a map: YAML needs a space after the colon, "
                f"{key}: {{{k.strip()}: {v.strip()}}} (or one key: value line each, indented)."
            )
        return f"{where} is a map: write one key: value line per entry, indented under {key}."
    if target.startswith("[]"):
        return f'{where} is a list: put "- " before each item, indented under {key}.'
    if schema.get("$ref", "").endswith("intstr.IntOrString"):
        return f'{where} is a whole number or a string such as "25%" or a port name.'
    if target.startswith(("int", "float")):
        whole = target.startswith("int")
        if isinstance(value, str):
            digits = re.fullmatch(r"\s*-?\d+\s*" if whole else r"\s*-?[\d.]+\s*", value)
            if digits:  # a quoted number: "5"
                return f"{where} is a number: remove the quotes, {key}: {value.strip()}."
            # a word or a unit: "five", "60%", "3 pods"; keep the digits, if any
            kept = re.sub(r"[^\d.]" if not whole else r"\D", "", value)
            example = f"{key}: {kept}" if kept else f"{key}: 3"
            kind = "a whole number" if whole else "a number"
            return f"{where} is {kind}, digits only (no words, units or %): e.g. {example}."
        return (
            f"{where} is a whole number." if target.startswith("int") else f"{where} is a number."
        )
    if target == "bool":
        return f"{where} is true or false, without quotes."
    if isinstance(value, list):
        return f'{where} is one object, not a list: remove the "- " before its first field.'
    return f"{where} is an object: indent its fields under {key}; {_explain(obj, path)} lists them."


def _unknown_fields(obj: Mapping, paths: list[list], source: str | None) -> ManifestError:
    named = ", ".join(f'unknown field "{openapi.field_path(p)}"' for p in paths)
    what = _server(obj, source) + "strict decoding error: " + named
    return ManifestError(what, _wrong_list_hint(obj, paths) or _unknown_hint(obj, paths[0]))


def _wrong_list_hint(obj: Mapping, paths: list[list]) -> str:
    """A list item whose unknown fields all belong to the items of a sibling list (an env
    entry, name + valueFrom, written under envFrom): the hint to move the whole item."""
    parent = paths[0][:-1]
    if len(parent) < 2 or not isinstance(parent[-1], int):
        return ""
    if any(p[:-1] != parent for p in paths):
        return ""
    keys = {str(p[-1]) for p in paths}
    holder, wrong = parent[:-2], parent[-2]
    for name, schema in openapi.properties(obj["kind"], holder).items():
        if name == wrong or "array" not in (openapi.resolve(schema)[0].get("type") or []):
            continue
        if keys <= set(openapi.properties(obj["kind"], [*holder, name, 0])):
            return (
                f"This entry ({', '.join(sorted(keys))}) is an item of {name}, not of {wrong}: "
                f"move it under {openapi.field_path([*holder, name])}."
            )
    return ""


def _unknown_hint(obj: Mapping, path: list) -> str:
    parent, key = path[:-1], path[-1]
    where = openapi.field_path(path)
    known = openapi.properties(obj["kind"], parent)
    same = [k for k in known if str(key).lower() == k.lower()]
    if same:
        return f"Field names are case-sensitive: write {same[0]}, not {key}."
    home = _home_near(obj["kind"], parent, str(key))
    if home is not None:
        return (
            f"{key} belongs in {openapi.field_path(home[:-1])}: move it to "
            f"{openapi.field_path(home)}."
        )
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.75)
    if close:
        return f"Did you mean {close[0]}? Rename {where}."
    return f"Remove {where}; {_explain(obj, parent)} lists the fields that belong there."


# How deep below a misplaced field's object its home is looked for: enough for a Deployment's
# spec.nodeSelector (home: spec.template.spec.nodeSelector) and a pod spec's lifecycle
# (home: spec.template.spec.containers[0].lifecycle).
HOME_DEPTH = 3


def _home_near(kind: str, parent: list, key: str) -> list | None:
    """Where a misplaced ``key`` belongs: below ``parent`` (a Deployment's spec.nodeSelector),
    else in an enclosing object (a container's nodeSelector belongs to its pod spec)."""
    below = _home_below(kind, parent, key)
    if below is not None:
        return below
    for end in range(len(parent) - 1, 0, -1):
        ancestor = parent[:end]
        if isinstance(ancestor[-1], str) and key in openapi.properties(kind, ancestor):
            return [*ancestor, key]
    return None


def _home_below(kind: str, parent: list, key: str) -> list | None:
    """The nearest path below ``parent`` whose object takes a field ``key`` (a list's items
    entered at index 0), breadth-first so the shallowest home wins; None if there is none."""
    level = [list(parent)]
    for _ in range(HOME_DEPTH):
        deeper = []
        for path in level:
            for child, schema in openapi.properties(kind, path).items():
                step = [*path, child]
                if "array" in (openapi.resolve(schema)[0].get("type") or []):
                    step.append(0)
                if key in openapi.properties(kind, step):
                    return [*step, key]
                deeper.append(step)
        level = deeper
    return None


def _required(obj: Mapping, paths: list[list]) -> ManifestError:
    causes = [f"{openapi.field_path(p)}: Required value" for p in paths]
    name = (obj.get("metadata") or {}).get("name", "")
    head = f'The {obj["kind"]} "{name}" is invalid: '
    # kubectl's MultilineError: one cause inline, several as a list.
    what = (
        head + causes[0] if len(causes) == 1 else head + "\n" + "\n".join(f"* {c}" for c in causes)
    )
    first = openapi.field_path(paths[0])
    return ManifestError(what, f"Add {first}: {_explain(obj, paths[0])} describes it.")
