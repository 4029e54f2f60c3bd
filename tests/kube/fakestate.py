"""The object store behind the fake API server: resourceVersions, generations, history.

It follows the API server's documented rules that the kube backend relies on:
every write bumps the object's resourceVersion, a change to ``spec`` bumps
``metadata.generation``, a write that changes nothing is a no-op (same resourceVersion,
no watch event), and watchers see each change as an event ordered by resourceVersion.
(kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions,
kubernetes.io/docs/reference/using-api/server-side-apply/)
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime

from helpers.core.kinds import KINDS as TABLE

# (group/version, plural) -> (kind, namespaced), from the kit's one kinds table; the table
# itself is checked against the official client's request paths (tests/core/test_kinds.py),
# so a wrong path in the backend still shows up here as a 404.
KINDS = {(k.group_version, k.plural): (k.kind, k.namespaced) for k in TABLE.values()}
PLURAL_OF = {kind: key for key, (kind, _) in KINDS.items()}


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status object, as the API server answers errors."""
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    out.update(message=message, reason=reason, code=code)
    if details is not None:
        out["details"] = details
    return out


def route(path: str):
    """(group/version, plural, namespace, name, subresource) of an API path, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        gv, rest = "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if not rest or (gv, rest[0]) not in KINDS:
        return None
    return gv, rest[0], ns, (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else "")


def selected(obj: dict, selector: str | None) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeState:
    """Objects by (group/version, plural) and (namespace, name), plus the event history."""

    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = 100
        self.objects: dict[tuple, dict[tuple, dict]] = {key: {} for key in KINDS}
        self.history: list[tuple[int, tuple, str | None, str, dict]] = []
        self.compacted = 0  # watches from a resourceVersion below this get 410 Gone

    def _event(self, res: tuple, ns: str | None, kind_of_change: str, obj: dict) -> None:
        self.history.append((self.rv, res, ns, kind_of_change, copy.deepcopy(obj)))
        self.changed.notify_all()

    def items(self, res: tuple, ns: str | None) -> list[dict]:
        with self.lock:
            return [
                copy.deepcopy(o)
                for (n, _), o in sorted(self.objects[res].items())
                if ns in (None, n)
            ]

    def get(self, res: tuple, ns: str | None, name: str) -> dict | None:
        with self.lock:
            obj = self.objects[res].get((ns, name))
            return copy.deepcopy(obj) if obj else None

    def write(self, res: tuple, ns: str | None, obj: dict) -> tuple[dict, bool]:
        """Create or replace ``obj``; returns (stored object, whether anything changed)."""
        with self.lock:
            kind, namespaced = KINDS[res]
            obj = copy.deepcopy(obj)
            obj["apiVersion"], obj["kind"] = res[0], kind
            meta = obj.setdefault("metadata", {})
            if namespaced:
                meta["namespace"] = ns
            old = self.objects[res].get((ns, meta["name"]))
            if old is not None:
                for field in ("uid", "creationTimestamp", "resourceVersion", "generation"):
                    if field in old["metadata"]:
                        meta[field] = old["metadata"][field]
                if obj == old:
                    return copy.deepcopy(old), False
                if "spec" in obj and obj.get("spec") != old.get("spec"):
                    meta["generation"] = old["metadata"].get("generation", 1) + 1
            else:
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", stamp())
                if "spec" in obj:
                    meta["generation"] = 1
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[res][(ns, meta["name"])] = obj
            self._event(res, ns, "MODIFIED" if old else "ADDED", obj)
            return copy.deepcopy(obj), True

    def remove(self, res: tuple, ns: str | None, name: str) -> dict | None:
        with self.lock:
            obj = self.objects[res].pop((ns, name), None)
            if obj is not None:
                self.rv += 1
                obj["metadata"]["resourceVersion"] = str(self.rv)
                self._event(res, ns, "DELETED", obj)
            return obj

    def events_after(self, res: tuple, ns: str | None, since: int) -> list[tuple[int, str, dict]]:
        with self.lock:
            return [
                (rv, t, o)
                for rv, r, n, t, o in self.history
                if rv > since and r == res and ns in (None, n)
            ]
