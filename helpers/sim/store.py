"""The simulated API server's storage: objects by kind, indexes, watches and change records.

Objects keep their Kubernetes JSON body (apiVersion, kind, metadata, spec) as given after
defaulting; status is either a dict the controllers set or, for pods and nodes, rendered
from runtime state on read. Controllers watch kinds through ``watch`` (called synchronously,
under the cluster lock); people and views get ``subscribe`` change records (helpers.core.state).
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from helpers.core import labels
from helpers.sim.configdata import DATA_KINDS, content_of
from helpers.sim.indexes import Indexes

# Kinds whose changes reach helpers.core.state subscribers as rows.
ROW_KINDS = ("Node", "Pod", "Deployment", "Service")


class Obj:
    """One stored object. ``body`` is its JSON without status; ``status`` a dict."""

    __slots__ = (
        "body", "deleted", "kind", "meta", "name", "namespace", "owner", "rv", "spec", "status", "uid",
    )  # fmt: skip

    def __init__(self, body: dict[str, Any]):
        self.body = body
        self.kind: str = body["kind"]
        self.meta: dict[str, Any] = body["metadata"]
        self.name: str = self.meta["name"]
        self.namespace: str | None = self.meta.get("namespace")
        # A ConfigMap's or Secret's content is at the top level; it is kept as its spec.
        self.spec: dict[str, Any] = (
            body.get("spec") or {} if self.kind not in DATA_KINDS else content_of(body)
        )
        self.status: dict[str, Any] = {}
        self.uid: str = self.meta.get("uid", "")
        self.deleted = False
        self.owner: str | None = _controller_ref(self.meta)  # the controller's uid
        self.rv = 0  # resourceVersion, written into metadata when the object is read

    @property
    def key(self) -> tuple[str | None, str]:
        """(namespace, name): how the store finds it."""
        return (self.namespace, self.name)

    @property
    def labels(self) -> dict[str, str]:
        """metadata.labels (never None)."""
        return self.meta.get("labels") or {}

    def render_status(self) -> dict[str, Any]:
        """The status as the API server shows it (pods and nodes override)."""
        return self.status

    def to_json(self) -> dict[str, Any]:
        """A deep copy of the object as Kubernetes JSON, status included."""
        out = json_copy(self.body)
        out["metadata"]["resourceVersion"] = str(self.rv)
        if self.kind not in DATA_KINDS:  # ConfigMaps and Secrets have no status
            out["status"] = json_copy(self.render_status())
        return out


def _uid_text(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than deepcopy.

    deepcopy keeps a memo for shared and cyclic references, which JSON never needs: a
    rollout wait reads its Deployment after every change, so this copy is on its path.
    """
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(json_copy(v) for v in value)
    return value


class Store:
    """Objects by kind and key, with owner and node indexes and change fan-out."""

    def __init__(self, clock, make_row: Callable[[Obj], dict] | None = None):
        self.clock = clock
        # How an object becomes a subscriber's row; set once the row's sources exist.
        self.make_row = make_row
        self.objects: dict[str, dict[tuple, Obj]] = defaultdict(dict)
        self.by_owner: dict[str, dict[str, Obj]] = defaultdict(dict)  # owner uid -> uid -> obj
        self.by_uid: dict[str, Obj] = {}
        self.indexes = Indexes()  # by namespace and by label
        self._rv = itertools.count(1)
        self._uid = itertools.count(1)
        self._watchers: dict[str, list[Callable]] = defaultdict(list)
        self.subscribers: list[Callable[[dict], None]] = []
        self.callback_errors: list[BaseException] = []
        self.version = 0  # bumps on every change: waits re-check predicates only then

    # ---- reading -----------------------------------------------------------------------
    def find(self, kind: str, name: str, namespace: str | None) -> Obj | None:
        """The object or None."""
        return self.objects[kind].get((namespace, name))

    def of_kind(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of a kind sorted by namespace and name (namespace None: all)."""
        if namespace is not None:
            return sorted(self.indexes.in_namespace(kind, namespace), key=lambda o: o.name)
        return sorted(self.objects[kind].values(), key=lambda o: (o.namespace or "", o.name))

    def select(self, kind: str, namespace: str | None, reqs: list) -> list[Obj]:
        """Objects of a kind that match parsed selector ``reqs``, sorted as ``of_kind``.

        A requirement ``key in (values)`` (``app=model``) is answered from the label index.
        """
        pick = next((r for r in reqs if r[1] == "In"), None)
        if pick is None or namespace is None:
            objs = self.of_kind(kind, namespace)
        else:
            objs = sorted(
                self.indexes.labelled(kind, namespace, pick[0], pick[2]), key=lambda o: o.name
            )
        return [o for o in objs if labels.matches(reqs, o.labels)]

    def owned(self, owner: Obj, kind: str | None = None) -> list[Obj]:
        """Objects whose controller ownerReference points at ``owner``, oldest first."""
        objs = self.by_owner.get(owner.uid, {}).values()
        return [o for o in objs if kind is None or o.kind == kind]

    # ---- writing -----------------------------------------------------------------------
    def new_uid(self) -> str:
        """A fresh, deterministic uid in the UUID shape."""
        return _uid_text(next(self._uid))

    def next_uid(self) -> str:
        """The uid ``new_uid`` would give next, without taking it (for dry runs)."""
        return _uid_text(next(copy.copy(self._uid)))

    def add(self, obj: Obj) -> None:
        """Store a new object and announce it (ADDED)."""
        if not obj.uid:
            obj.uid = obj.meta["uid"] = self.new_uid()
        self.objects[obj.kind][obj.key] = obj
        self.by_uid[obj.uid] = obj
        self.indexes.add(obj)
        owner = controller_uid(obj)
        if owner:
            self.by_owner[owner][obj.uid] = obj
        self.changed(obj, "ADDED")

    def remove(self, obj: Obj) -> None:
        """Forget an object and announce it (DELETED)."""
        if self.objects[obj.kind].pop(obj.key, None) is None:
            return
        obj.deleted = True
        self.by_uid.pop(obj.uid, None)
        self.indexes.remove(obj)
        owner = controller_uid(obj)
        if owner:
            self.by_owner[owner].pop(obj.uid, None)
            if not self.by_owner[owner]:
                del self.by_owner[owner]
        self.changed(obj, "DELETED")

    def set_labels(self, obj: Obj, new: dict[str, str]) -> None:
        """Replace an object's labels, keeping the label index right (announce separately)."""
        old = obj.labels
        obj.meta["labels"] = new
        if not obj.deleted:
            self.indexes.relabel(obj, old)

    def set_owner(self, obj: Obj, refs: list[dict] | None) -> None:
        """Replace an object's ownerReferences, keeping the owner index right."""
        old = controller_uid(obj)
        if old:
            self.by_owner[old].pop(obj.uid, None)
        if refs:
            obj.meta["ownerReferences"] = refs
        else:
            obj.meta.pop("ownerReferences", None)
        obj.owner = new = _controller_ref(obj.meta)
        if new:
            self.by_owner[new][obj.uid] = obj

    def changed(self, obj: Obj, type_: str = "MODIFIED") -> None:
        """Bump resourceVersion, run the kind's watchers, then notify subscribers."""
        obj.rv = next(self._rv)
        self.version += 1
        for fn in self._watchers.get(obj.kind, ()):
            fn(obj, type_)
        if self.subscribers and obj.kind in ROW_KINDS:
            row = None if type_ == "DELETED" else self.make_row(obj)
            key = obj.name if obj.namespace is None else f"{obj.namespace}/{obj.name}"
            self.publish({"kind": obj.kind, "type": type_, "key": key, "row": row})

    def row_changed(self, obj: Obj) -> None:
        """Tell subscribers about a changed row (e.g. a node's requests) without watchers."""
        if self.subscribers:
            key = obj.name if obj.namespace is None else f"{obj.namespace}/{obj.name}"
            self.publish(
                {"kind": obj.kind, "type": "MODIFIED", "key": key, "row": self.make_row(obj)}
            )

    def publish(self, change: dict) -> None:
        """Deliver one change record to every subscriber (errors are kept, not raised)."""
        self.version += 1
        change["time"] = self.clock.now
        for fn in list(self.subscribers):
            try:
                fn(change)
            except Exception as err:
                self.callback_errors.append(err)

    def watch(self, kind: str, fn: Callable[[Obj, str], None]) -> None:
        """Call ``fn(obj, type)`` synchronously on every change of ``kind`` (controllers)."""
        self._watchers[kind].append(fn)


def controller_uid(obj: Obj) -> str | None:
    """The uid of the object's controller (the ownerReference with controller: true)."""
    return obj.owner


def _controller_ref(meta: dict) -> str | None:
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")
    return None


def owner_ref(owner: Obj) -> dict[str, Any]:
    """The controller ownerReference pointing at ``owner``."""
    return {
        "apiVersion": owner.body["apiVersion"],
        "kind": owner.kind,
        "name": owner.name,
        "uid": owner.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
