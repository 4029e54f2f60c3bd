"""Reading the Kubernetes protobuf encoding of the request bodies typed clients send.

client-go's typed clients (kubectl create configmap/secret/namespace, helm's release
storage) send ``application/vnd.kubernetes.protobuf`` bodies and do not fall back to JSON
when refused. The encoding is a 4-byte magic ``k8s\\x00`` and a ``runtime.Unknown``
(typeMeta, raw, contentEncoding, contentType) whose ``raw`` is the object's own message
(kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding). Answers stay
JSON: those clients accept it (their Accept header ends in ``*/*``).

Only the messages below are read, field numbers from k8s.io/api core/v1 and
k8s.io/apimachinery meta/v1 generated.proto (v0.36). We read the wire format ourselves
because no maintained Python package carries Kubernetes' protobuf schema, and these few
messages are all the simulator's typed writers need; any other kind is refused with a 415
that names it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# message -> {field number: (JSON name, type)}. Types: string, bytes, int64, bool, time,
# msg:<message>, map:<string|bytes> (map<string, ...>), rep:<type> (repeated).
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "Unknown": {1: ("typeMeta", "msg:TypeMeta"), 2: ("raw", "raw"),
                3: ("contentEncoding", "string"), 4: ("contentType", "string")},
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "ObjectMeta": {1: ("name", "string"), 2: ("generateName", "string"),
                   3: ("namespace", "string"), 5: ("uid", "string"),
                   6: ("resourceVersion", "string"), 7: ("generation", "int64"),
                   8: ("creationTimestamp", "time"), 9: ("deletionTimestamp", "time"),
                   10: ("deletionGracePeriodSeconds", "int64"), 11: ("labels", "map:string"),
                   12: ("annotations", "map:string"),
                   13: ("ownerReferences", "rep:msg:OwnerReference"),
                   14: ("finalizers", "rep:string")},
    "OwnerReference": {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
                       5: ("apiVersion", "string"), 6: ("controller", "bool"),
                       7: ("blockOwnerDeletion", "bool")},
    "Time": {1: ("seconds", "int64"), 2: ("nanos", "int64")},
    "Secret": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map:bytes"),
               3: ("type", "string"), 4: ("stringData", "map:string"), 5: ("immutable", "bool")},
    "ConfigMap": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map:string"),
                  3: ("binaryData", "map:bytes"), 4: ("immutable", "bool")},
    "Namespace": {1: ("metadata", "msg:ObjectMeta"), 2: ("spec", "msg:NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "rep:string")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int64"), 3: ("orphanDependents", "bool"),
                      4: ("propagationPolicy", "string"), 5: ("dryRun", "rep:string")},
}  # fmt: skip
# Go's zero time.Time in Unix seconds (0001-01-01T00:00:00Z): how an unset Time is written.
ZERO_TIME = -62135596800
# The kinds read here, by the runtime.Unknown's typeMeta.kind.
KINDS = ("Secret", "ConfigMap", "Namespace", "DeleteOptions")


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


def _scalar(kind: str, value) -> Any:
    if kind == "string":
        return bytes(value).decode()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()  # as JSON carries bytes
    if kind == "int64":
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == "bool":
        return bool(value)
    if kind == "time":
        seconds = decode_message("Time", value).get("seconds", 0)
        if seconds <= ZERO_TIME:
            return None  # Go's zero time: the field is unset
        stamp = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "raw":
        return bytes(value)
    if kind.startswith("msg:"):
        return decode_message(kind[4:], value)
    raise ProtobufError(f"type {kind} is not read here")


def decode_message(name: str, data: bytes) -> dict[str, Any]:
    """One message of ``SCHEMA[name]`` as its JSON form (unknown fields are skipped)."""
    schema, out = SCHEMA[name], {}
    for number, _wire, value in _fields(bytes(data)):
        if number not in schema:
            continue
        field, kind = schema[number]
        if kind.startswith("map:"):
            entry = {n: v for n, _, v in _fields(value)}
            key = bytes(entry.get(1, b"")).decode()
            out.setdefault(field, {})[key] = _scalar(kind[4:], entry.get(2, b""))
        elif kind.startswith("rep:"):
            out.setdefault(field, []).append(_scalar(kind[4:], value))
        else:
            value = _scalar(kind, value)
            # Go writes every non-pointer field, empty or not; JSON leaves the empty out.
            if value is not None and value != "":
                out[field] = value
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
            f"the simulator reads protobuf for {', '.join(KINDS[:3])} only, not "
            f"{kind or 'this kind'}: write it as YAML and kubectl apply -f it"
        )
    obj = decode_message(kind, unknown.get("raw", b""))
    return {"apiVersion": type_meta.get("apiVersion", "v1"), "kind": kind, **obj}
