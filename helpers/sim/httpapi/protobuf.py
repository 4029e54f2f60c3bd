"""Reading the Kubernetes protobuf encoding of the request bodies typed clients send.

client-go's typed clients (kubectl create deployment/service/configmap/secret/namespace, autoscale, helm's release
storage) send ``application/vnd.kubernetes.protobuf`` bodies and do not fall back to JSON
when refused. The encoding is a 4-byte magic ``k8s\\x00`` and a ``runtime.Unknown``
(typeMeta, raw, contentEncoding, contentType) whose ``raw`` is the object's own message
(kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding). Answers stay
JSON: those clients accept it (their Accept header ends in ``*/*``).

Every message is read by the table tools/gen_protobuf_schema.py generates from the API's Go
types (helpers.sim.httpapi.protobuf_schema): field numbers, JSON names, and what Go's JSON
encoder would keep (a pointer's zero value stays; an omitempty scalar's zero goes; a struct
stays even when empty, as `resources: {}`). A few apimachinery types have their own JSON
form and are read natively (Time, Duration, IntOrString, Quantity, FieldsV1, RawExtension).
We read the wire format ourselves because no maintained Python package carries Kubernetes'
protobuf schema; a kind outside the table is refused with a 415 that names it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
from typing import Any

from helpers.core.durations import format_ns
from helpers.sim.httpapi.protobuf_schema import SCHEMA

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# The envelope, runtime.Unknown (apimachinery runtime generated.proto): typeMeta, raw,
# contentEncoding, contentType; and TypeMeta in it.
ENVELOPE = {
    "Unknown": {1: ("typeMeta", "msg:TypeMeta", ""), 2: ("raw", "raw", ""),
                3: ("contentEncoding", "string", "o"), 4: ("contentType", "string", "o")},
    "TypeMeta": {1: ("apiVersion", "string", "o"), 2: ("kind", "string", "o")},
}  # fmt: skip
# Go's zero time.Time in Unix seconds (0001-01-01T00:00:00Z): how an unset Time is written.
ZERO_TIME = -62135596800
# The kinds read here (the envelope's typeMeta.kind) -> their message in SCHEMA.
KINDS = {
    message.split(".", 1)[1]: message
    for message in SCHEMA
    if message.split(".", 1)[1] in {"Pod", "Service", "Secret", "ConfigMap", "Namespace",
                                    "Deployment", "ReplicaSet", "HorizontalPodAutoscaler",
                                    "PodDisruptionBudget", "Eviction", "DeleteOptions"}
}  # fmt: skip


class ProtobufError(ValueError):
    """A body that is not the protobuf encoding of a kind read here."""


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def _fields(data: bytes):
    """(field number, wire type, value) per field; value: int or bytes."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
            if len(value) != size:
                raise ProtobufError("truncated field")
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ProtobufError(f"wire type {wire} is not read here")
        yield number, wire, value


def _int(value) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _native(kind: str, data: bytes) -> Any:
    fields = {n: v for n, _, v in _fields(bytes(data))}
    if kind == "time":  # metav1.Time: seconds, nanos
        # Go's zero time is written as an empty message (Time.Marshal), or as its seconds.
        seconds = _int(fields.get(1, ZERO_TIME))
        if seconds <= ZERO_TIME:
            return None  # the field is unset
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "duration":  # metav1.Duration: nanoseconds, as Go prints them ("1m30s")
        return format_ns(_int(fields.get(1, 0)))
    if kind == "intorstring":  # type 0: intVal, 1: strVal
        return (
            bytes(fields.get(3, b"")).decode() if fields.get(1, 0) == 1 else _int(fields.get(2, 0))
        )
    if kind == "quantity":
        return bytes(fields.get(1, b"")).decode()
    # fieldsv1, rawextension: JSON bytes
    raw = bytes(fields.get(1, b""))
    return json.loads(raw) if raw else {}


def _value(kind: str, wire: int, value) -> Any:
    if kind == "string":
        return bytes(value).decode()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()  # as JSON carries bytes
    if kind == "raw":
        return bytes(value)
    if kind == "int":
        return _int(value)
    if kind == "bool":
        return bool(value)
    if kind == "double":
        return struct.unpack("<d", value)[0]
    if kind.startswith("msg:"):
        return decode_message(kind[4:], value)
    return _native(kind, value)


def _zero(value) -> bool:
    return value in ("", 0, False, None) or value == [] or value == {}


def decode_message(name: str, data: bytes) -> dict[str, Any]:
    """One message (``SCHEMA[name]`` or the envelope's) as the JSON Go would write for it;
    unknown fields are skipped."""
    schema = SCHEMA.get(name) or ENVELOPE[name]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(bytes(data)):
        if number not in schema:
            continue
        field, kind, _ = schema[number]
        if kind.startswith("map:"):
            entry = {n: v for n, _, v in _fields(value)}
            key = bytes(entry.get(1, b"")).decode()
            out.setdefault(field, {})[key] = _value(kind[4:], 2, entry.get(2, b""))
        elif kind.startswith("rep:"):
            item = kind[4:]
            if wire == 2 and item in ("int", "bool"):  # a packed run of varints
                i, items = 0, out.setdefault(field, [])
                while i < len(value):
                    raw, i = _varint(value, i)
                    items.append(_value(item, 0, raw))
            else:
                out.setdefault(field, []).append(_value(item, wire, value))
        else:
            out[field] = _value(kind, wire, value)
    # What Go's JSON encoder keeps: a set pointer (replicas: 0), a struct (resources: {}),
    # a field without omitempty; an omitempty field's zero goes, and so does a zero Time.
    for field, kind, flags in schema.values():
        if field not in out:
            continue
        value = out[field]
        struct_kind = kind.startswith("msg:")
        if value is None or (
            "o" in flags and "p" not in flags and not struct_kind and _zero(value)
        ):
            del out[field]
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object (apiVersion and kind included).

    Raises:
        ProtobufError: not the Kubernetes protobuf envelope, or a kind not read here.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the k8s protobuf magic")
    unknown = decode_message("Unknown", body[len(MAGIC) :])
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if kind not in KINDS:
        raise ProtobufError(
            f"the simulator reads protobuf for {', '.join(sorted(KINDS))} only, not "
            f"{kind or 'this kind'}: write it as YAML and kubectl apply -f it"
        )
    obj = decode_message(KINDS[kind], unknown.get("raw", b""))
    return {"apiVersion": type_meta.get("apiVersion", "v1"), "kind": kind, **obj}
