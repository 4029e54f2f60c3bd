"""Watches: store changes streamed to HTTP clients as they happen, resumable by version.

The hub registers one store watcher per kind (called synchronously, under the cluster
lock, as the controllers' are), so a watch sees each change when the simulation makes it:
in virtual time, when the notebook moves the clock; in realtime, as the clock thread runs.
Only open watches pay for serialization. A short history of (resourceVersion, type,
object) lets a client resume from the version its list returned; an older version gets
``410 Gone`` and the client lists again, as with etcd's compaction.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable

from helpers.core import labels
from helpers.core.kinds import KINDS

HISTORY = 10_000  # changes kept for resuming; the real server keeps its watch cache's window
WATCHED = [k for k in KINDS if k not in ("Event", "Endpoints", "EndpointSlice")]


class Watch:
    """One client's watch: its filter and a queue of (type, object JSON)."""

    def __init__(self, kind: str, namespace: str | None, selector: str | None, name: str | None):
        self.kind, self.namespace, self.name = kind, namespace, name
        self.reqs = labels.parse(selector)
        self.events: queue.Queue = queue.Queue()

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

    def close(self) -> None:
        """Stop fanning out: the store's watchers remain registered but do nothing."""
        self.open = False
        for watches in self.watches.values():
            for w in watches:
                w.events.put(None)
            watches.clear()
