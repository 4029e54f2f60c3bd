"""Watches: store changes streamed to HTTP clients as they happen, resumable by version.

The hub registers one store watcher per kind (called synchronously, under the cluster
lock, as the controllers' are), so a watch sees each change when the simulation makes it:
in virtual time, when the notebook moves the clock; in realtime, as the clock thread runs.
Only open watches pay for serialization. A short history of (resourceVersion, type,
object) lets a client resume from the version its list returned; an older version gets
``410 Gone`` and the client lists again, as with etcd's compaction.
"""

from __future__ import annotations

import json
import queue
from collections import deque
from collections.abc import Callable

from helpers.core import labels
from helpers.core.kinds import KINDS

HISTORY = 10_000  # changes kept for resuming; the real server keeps its watch cache's window
# Views the simulator computes from other state (its event log, Services and Pods) rather
# than stores: their watches diff the view after each change (see WatchHub._derived).
DERIVED = ("Event", "Endpoints", "EndpointSlice")
WATCHED = [k for k in KINDS if k not in DERIVED]


class Watch:
    """One client's watch: its filter and a queue of (type, object JSON)."""

    def __init__(self, kind: str, namespace: str | None, selector: str | None, name: str | None):
        self.kind, self.namespace, self.name = kind, namespace, name
        self.reqs = labels.parse(selector)
        self.events: queue.Queue = queue.Queue()
        self.current: Callable[[], list[dict]] | None = None  # a derived kind's view
        self.seen: dict[tuple, str] = {}  # a derived kind's objects as last sent

    def matches(self, obj) -> bool:
        """Whether ``obj`` (a store object) passes the watch's namespace, name and labels."""
        return (
            (self.namespace is None or obj.namespace == self.namespace)
            and (self.name is None or obj.name == self.name)
            and labels.matches(self.reqs, obj.labels)
        )


class WatchHub:
    """Fans store changes out to open watches; keeps the history for resuming.

    Args:
        store: the simulator's Store (helpers.sim.store); its watchers cannot be removed,
            so the hub stays registered and ``close`` only silences it.
    """

    def __init__(self, store):
        self.store = store
        self.derived: list[Watch] = []
        self.watches: dict[str, list[Watch]] = {k: [] for k in WATCHED}
        self.history: deque = deque(maxlen=HISTORY)
        # The newest version before the hub existed: history starts after it.
        self.last_rv = self.first_rv = max(
            (o.rv for objs in store.objects.values() for o in objs.values()), default=0
        )
        self.open = True
        for kind in WATCHED:
            store.watch(kind, self._changed)

    def _changed(self, obj, type_: str) -> None:
        if not self.open:
            return
        self.last_rv = obj.rv
        self.history.append((obj.rv, type_, obj))
        listeners = [w for w in self.watches[obj.kind] if w.matches(obj)]
        if listeners:
            body = obj.to_json()
            for w in listeners:
                w.events.put((type_, body))

    def start(self, watch: Watch, since: int | None, current: Callable[[], list[dict]]) -> None:
        """Register ``watch`` (call under the cluster lock). ``since`` None: begin with an
        ADDED event per current object; else replay the history after ``since``.

        Raises:
            LookupError: ``since`` is older than the history kept (the caller sends 410).
        """
        if watch.kind in DERIVED:
            self._start_derived(watch, since, current)
            return
        if since is None:
            for body in current():
                watch.events.put(("ADDED", body))
        else:
            oldest = self.history[0][0] - 1 if len(self.history) == HISTORY else self.first_rv
            if since < oldest:
                raise LookupError(since)
            latest: dict[int, tuple[str, object]] = {}  # one event per object, newest state
            for rv, type_, obj in self.history:
                if rv > since and obj.kind == watch.kind and watch.matches(obj):
                    latest.pop(id(obj), None)
                    latest[id(obj)] = ("DELETED" if obj.deleted else type_, obj)
            for type_, obj in latest.values():
                watch.events.put((type_, obj.to_json()))
        self.watches.setdefault(watch.kind, []).append(watch)

    def stop(self, watch: Watch) -> None:
        """Forget ``watch`` (call under the cluster lock)."""
        if watch in self.watches.get(watch.kind, ()):
            self.watches[watch.kind].remove(watch)
        if watch in self.derived:
            self.derived.remove(watch)
            if not self.derived and self._derived in self.store.subscribers:
                self.store.subscribers.remove(self._derived)

    # ---- derived kinds: Events, Endpoints, EndpointSlices --------------------------------
    def _start_derived(self, watch: Watch, since: int | None, current) -> None:
        """A derived kind has no history: a watch from a list's version starts from the
        view as it is (what the list showed), one without a version with ADDED for each."""
        watch.current = current
        for body in current():
            key = _key(body)
            watch.seen[key] = _canonical(body)
            if since is None:
                watch.events.put(("ADDED", self._versioned(body)))
        self.derived.append(watch)
        if self._derived not in self.store.subscribers:
            self.store.subscribers.append(self._derived)

    def _derived(self, change: dict) -> None:
        """A store change or a new event (a subscriber, under the lock): diff each derived
        watch's view against what it sent, and send what differs."""
        if not self.open:
            return
        for watch in self.derived:
            now = {_key(body): body for body in watch.current()}
            for key, body in now.items():
                text = _canonical(body)
                before = watch.seen.get(key)
                if before != text:
                    watch.seen[key] = text
                    watch.events.put(("ADDED" if before is None else "MODIFIED",
                                      self._versioned(body)))  # fmt: skip
            for key in [k for k in watch.seen if k not in now]:
                gone = json.loads(watch.seen.pop(key))
                watch.events.put(("DELETED", self._versioned(gone)))

    def _versioned(self, body: dict) -> dict:
        meta = body.setdefault("metadata", {})
        meta["resourceVersion"] = str(self.last_rv)
        return body

    def close(self) -> None:
        """Stop fanning out: the store's watchers remain registered but do nothing."""
        self.open = False
        if self._derived in self.store.subscribers:
            self.store.subscribers.remove(self._derived)
        self.derived.clear()
        for watches in self.watches.values():
            for w in watches:
                w.events.put(None)
            watches.clear()


def _key(body: dict) -> tuple:
    meta = body.get("metadata") or {}
    return meta.get("namespace"), meta.get("name")


def _canonical(body: dict) -> str:
    """The object without its resourceVersion, as text: what a change is compared by."""
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "resourceVersion"}
    return json.dumps({**body, "metadata": meta}, sort_keys=True)
