"""The watch cache: the objects the informers keep current, and the rows derived from them.

Every change recomputes the rows (a course cluster holds tens of objects, so this costs
microseconds) and diffs them against the previous ones; each differing row becomes one
change record (helpers.core.state) for the subscribers. So the rows are always exactly a
function of the cached objects: a pod's ``endpoint`` flag follows its EndpointSlice, a
node's requested CPU follows the pods bound to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from helpers.core.state import RECENT_EVENTS, row_key
from helpers.kube import rows

WATCHED = ("Node", "Pod", "Deployment", "Service", "EndpointSlice", "Event")
ROW_KINDS = ("Node", "Pod", "Deployment", "Service")
# System namespaces stay out of the tables (their pods still count on their nodes).
HIDDEN_NAMESPACES = frozenset(
    {"kube-system", "kube-public", "kube-node-lease", "local-path-storage"}
)


def object_key(obj: dict[str, Any]) -> str:
    """``namespace/name``, or ``name`` for cluster-scoped objects."""
    meta = obj.get("metadata") or {}
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def _shown(obj: dict[str, Any]) -> bool:
    return (obj.get("metadata") or {}).get("namespace") not in HIDDEN_NAMESPACES


class Store:
    """Cached objects by kind, their rows, and the subscribers to their changes.

    Example:
        >>> store = Store(t0=time.time(), clock=lambda: 0.0)
        >>> store.event("Node", "ADDED", node_json)
        >>> store.snapshot_rows()["nodes"][0]["name"]
        'orchestra-worker'
    """

    def __init__(self, t0: float, clock: Callable[[], float]):
        self.t0, self.clock = t0, clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = 0  # bumped on every change; wait() watches it
        self.callback_errors = 0
        self.objects: dict[str, dict[str, dict]] = {k: {} for k in WATCHED}
        self.rows: dict[str, dict[str, dict]] = {k: {} for k in ROW_KINDS}
        self.events: dict[str, dict] = {}  # uid -> EventRow
        self._subscribers: list[Callable[[dict], None]] = []

    # ---- informer callbacks ------------------------------------------------------------
    def replace(self, kind: str, items: list[dict[str, Any]]) -> None:
        """A fresh list of ``kind``: drop what vanished, keep what is new or changed."""
        with self.lock:
            old = self.objects[kind]
            self.objects[kind] = {object_key(o): o for o in items}
            changes = []
            if kind == "Event":
                keep = {(o.get("metadata") or {}).get("uid") for o in items}
                self.events = {u: r for u, r in self.events.items() if u in keep}
                for key, obj in self.objects[kind].items():
                    before = old.get(key)
                    if before is None or _rv(before) != _rv(obj):
                        changes += self._event_change(obj)
            self._refresh(changes)

    def event(self, kind: str, kind_of_change: str, obj: dict[str, Any]) -> None:
        """One watch event (ADDED, MODIFIED or DELETED) for ``obj``."""
        with self.lock:
            key = object_key(obj)
            changes = []
            if kind_of_change == "DELETED":
                self.objects[kind].pop(key, None)
                if kind == "Event":
                    self.events.pop((obj.get("metadata") or {}).get("uid"), None)
            else:
                self.objects[kind][key] = obj
                if kind == "Event":
                    changes = self._event_change(obj)
            self._refresh(changes)

    def _event_change(self, ev: dict[str, Any]) -> list[dict]:
        if not _shown(ev):
            return []
        row = rows.event_row(ev, self.t0)
        self.events[(ev.get("metadata") or {}).get("uid") or object_key(ev)] = row
        key = object_key(ev)
        return [{"kind": "Event", "type": "ADDED", "key": key, "row": row, "time": self.clock()}]

    # ---- rows ----------------------------------------------------------------------------
    def _compute(self) -> dict[str, dict[str, dict]]:
        slices_by_service: dict[str, list[dict]] = {}
        for sl in self.objects["EndpointSlice"].values():
            meta = sl.get("metadata") or {}
            svc = (meta.get("labels") or {}).get(rows.SERVICE_NAME_LABEL)
            if svc:
                slices_by_service.setdefault(f"{meta.get('namespace')}/{svc}", []).append(sl)
        ready = {
            f"{key.split('/')[0]}/{pod}"
            for key, slices in slices_by_service.items()
            for pod in rows.ready_endpoints(slices)
        }
        pods_by_node: dict[str, list[dict]] = {}
        for pod in self.objects["Pod"].values():
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                pods_by_node.setdefault(node, []).append(pod)
        out: dict[str, dict[str, dict]] = {
            "Node": {
                k: rows.node_row(n, pods_by_node.get(k, []))
                for k, n in self.objects["Node"].items()
            },
            "Pod": {
                k: rows.pod_row(p, self.t0, ready)
                for k, p in self.objects["Pod"].items()
                if _shown(p)
            },
            "Deployment": {
                k: rows.deployment_row(d)
                for k, d in self.objects["Deployment"].items()
                if _shown(d)
            },
            "Service": {
                k: rows.service_row(s, slices_by_service.get(k, []))
                for k, s in self.objects["Service"].items()
                if _shown(s)
            },
        }
        return out

    def _refresh(self, changes: list[dict]) -> None:
        new = self._compute()
        now = self.clock()
        for kind in ROW_KINDS:
            before, after = self.rows[kind], new[kind]
            for key in sorted(before.keys() - after.keys()):
                changes.append(
                    {"kind": kind, "type": "DELETED", "key": key, "row": None, "time": now}
                )
            for key in sorted(after):
                if key not in before or before[key] != after[key]:
                    kind_of_change = "MODIFIED" if key in before else "ADDED"
                    row = after[key]
                    changes.append(
                        {
                            "kind": kind,
                            "type": kind_of_change,
                            "key": row_key(kind, row),
                            "row": row,
                            "time": now,
                        }
                    )
        self.rows = new
        if not changes:
            return
        self.version += 1
        self.changed.notify_all()
        for change in changes:
            for callback in list(self._subscribers):
                try:
                    callback(change)
                except Exception:  # a broken view must not stop the watch thread
                    self.callback_errors += 1

    # ---- readers -------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        with self.lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self.lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def event_rows(self) -> list[dict]:
        with self.lock:
            return sorted(self.events.values(), key=lambda r: r["time"])

    def snapshot_rows(self) -> dict[str, list[dict]]:
        """Nodes, pods, deployments and services (sorted by key) and the recent events."""
        with self.lock:
            out = {
                section: [dict(self.rows[kind][k]) for k in sorted(self.rows[kind])]
                for kind, section in zip(
                    ROW_KINDS, ("nodes", "pods", "deployments", "services"), strict=True
                )
            }
            out["events"] = self.event_rows()[-RECENT_EVENTS:]
            return out


def _rv(obj: dict[str, Any]) -> str | None:
    return (obj.get("metadata") or {}).get("resourceVersion")
