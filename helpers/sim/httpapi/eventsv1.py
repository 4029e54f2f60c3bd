"""events.k8s.io/v1 Events: the core Events as that API group shows them.

The API server keeps one Event storage and converts on the way out
(kubernetes pkg/apis/events/v1/conversion.go): ``involvedObject`` is ``regarding``,
``message`` is ``note``, ``source``, ``firstTimestamp``, ``lastTimestamp`` and ``count`` are
``deprecatedSource``, ``deprecatedFirstTimestamp``, ``deprecatedLastTimestamp`` and
``deprecatedCount``, and ``reportingComponent`` is ``reportingController``. Read-only here,
like the core Events (the simulator's controllers write them).
(https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/)

Example:
    >>> to_events_v1({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
    ...               "involvedObject": {"kind": "Pod", "name": "p"}, "message": "hi",
    ...               "reason": "Started", "type": "Normal", "count": 2})["note"]
    'hi'
"""

from __future__ import annotations

from typing import Any

API_VERSION = "events.k8s.io/v1"

# core/v1 field -> events.k8s.io/v1 field; the others keep their names.
_RENAMED = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "reportingComponent": "reportingController",
}
# Fields with omitempty in k8s.io/api/events/v1 (dropped when empty, as the server encodes).
_OMIT_EMPTY = {
    "regarding", "related", "note", "type", "reason", "action", "series", "reportingController",
    "reportingInstance", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
    "deprecatedCount",
}  # fmt: skip


def to_events_v1(event: dict[str, Any]) -> dict[str, Any]:
    """One core/v1 Event as an events.k8s.io/v1 Event (a new dict; the input is not changed)."""
    out: dict[str, Any] = {"kind": "Event", "apiVersion": API_VERSION}
    for key, value in event.items():
        if key in ("kind", "apiVersion"):
            continue
        out[_RENAMED.get(key, key)] = value
    out.setdefault("eventTime", None)  # no omitempty: null when the event has none
    out.setdefault("deprecatedSource", {})  # a struct: encoded even when empty
    return {k: v for k, v in out.items() if k not in _OMIT_EMPTY or v not in (None, "", 0, {})}
