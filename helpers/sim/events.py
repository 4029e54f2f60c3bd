"""Kubernetes Events of the simulated cluster, kept for an hour as the API server does.

Events are the story a student reads (``kubectl get events``); the reasons and messages
are the real ones so that what they learn here is what they see on a real cluster.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from helpers.core.kinds import canonical_kind
from helpers.sim.clock import iso

# 3600 s: the API server's default --event-ttl (1 h).
EVENT_TTL_S = 3600.0
# A hard cap too, so a 30,000-pod benchmark keeps its memory bounded.
MAX_EVENTS = 200_000


class EventLog:
    """Events as tuples (time, type, object, reason, message, namespace), oldest first.

    Example:
        >>> log = EventLog()
        >>> log.add(0.0, "Normal", "pod/web-1", "Scheduled", "Successfully assigned ...", "default")
        >>> log.rows()[0]["reason"]
        'Scheduled'
    """

    def __init__(self):
        self._items: deque[tuple] = deque(maxlen=MAX_EVENTS)
        self._seq = 0  # each event's number, for Event names that stay as older ones expire

    def add(self, t: float, type_: str, obj: str, reason: str, message: str, namespace: str):
        """Record one event."""
        items = self._items
        self._seq += 1
        items.append((t, type_, obj, reason, message, namespace, self._seq))
        if items[0][0] < t - EVENT_TTL_S:
            while items and items[0][0] < t - EVENT_TTL_S:
                items.popleft()

    def rows(self) -> list[dict[str, Any]]:
        """Every event held, oldest first, as helpers.core.state EventRow dicts."""
        return [
            {"time": t, "type": ty, "object": o, "reason": r, "message": m}
            for t, ty, o, r, m, *_ in self._items
        ]

    def recent(self, n: int) -> list[dict[str, Any]]:
        """The last ``n`` events as rows."""
        items = list(self._items)[-n:] if n else []
        return [
            {"time": t, "type": ty, "object": o, "reason": r, "message": m}
            for t, ty, o, r, m, *_ in items
        ]

    def objects(self, namespace: str | None) -> list[dict[str, Any]]:
        """Events as Kubernetes Event objects (core/v1), for list_objects("Event").

        Repeats of one event (same object, reason and message) are one object with a
        count and first/last timestamps, as the API server's event deduplication keeps them.
        An Event is named by its object and its first occurrence's number, so its name,
        uid and creationTimestamp stay while it lasts (a watch can follow it).
        """
        merged: dict[tuple, dict[str, Any]] = {}
        for t, ty, o, r, m, ns, seq in self._items:
            if namespace is not None and ns != namespace:
                continue
            key = (ns, o, ty, r, m)
            if key in merged:
                merged[key]["count"] += 1
                merged[key]["lastTimestamp"] = iso(t)
                continue
            kind, _, name = o.partition("/")
            merged[key] = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{name}.{seq:016x}",
                    "namespace": ns or "default",
                    "uid": f"00000000-0000-4000-9000-{seq:012x}",
                    "creationTimestamp": iso(t),
                },
                "involvedObject": {"kind": canonical_kind(kind), "name": name, "namespace": ns},
                "type": ty,
                "reason": r,
                "message": m,
                "count": 1,
                "firstTimestamp": iso(t),
                "lastTimestamp": iso(t),
            }
        return list(merged.values())

    def __len__(self) -> int:
        return len(self._items)


class EventRecorder:
    """What controllers post Events through (client-go's EventRecorder): log and announce.

    Example:
        >>> recorder.record("deployment/model", "Normal", "ScalingReplicaSet", "Scaled up ...")
    """

    def __init__(self, clock, store, log: EventLog | None = None):
        self.clock, self.store = clock, store
        self.log = log if log is not None else EventLog()

    def record(
        self, obj_ref: str, type_: str, reason: str, message: str, namespace: str | None = "default"
    ) -> None:
        """Add an Event (obj_ref like "deployment/model") and tell subscribers."""
        now = self.clock.now
        self.log.add(now, type_, obj_ref, reason, message, namespace)
        store = self.store
        if store.subscribers:
            row = {
                "time": now,
                "type": type_,
                "object": obj_ref,
                "reason": reason,
                "message": message,
            }
            key = f"{namespace or 'default'}/{obj_ref}"
            store.publish({"kind": "Event", "type": "ADDED", "key": key, "row": row})
