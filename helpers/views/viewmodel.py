"""The view state kept current by changes, and the small patches that carry it to a browser.

``ViewModel`` indexes the view state by key so one change costs one row's work, whatever
the cluster's size; ``apply`` coalesces a batch of changes (the last change of an object
wins) and returns only what differs, as one patch message::

    {"type": "patch", "seq": 42, "pods": {key: PodView}, "removed": [key, ...],
     "nodes": {...}, "nodes_removed": [...], "deployments": {...},
     "deployments_removed": [...], "events": [...], "header": {...}, "versions": [...],
     "rec": {...}}

Keys with nothing to say are left out. ``rec`` carries the recording's new operations
(timeline.Timeline.take), so a browser can replay every change, not only the batches. ``seq`` counts patches, so a front end that missed
one asks for the full state again.
"""

from __future__ import annotations

import copy
from typing import Any

from helpers.views.timeline import Timeline
from helpers.views.viewstate import (
    EVENTS_SHOWN,
    deployment_view,
    endpoint_names,
    event_view,
    header_view,
    node_view,
    pod_view,
    versions_of,
    view_state,
)

_GONE = object()
REMOVED = {"pods": "removed", "nodes": "nodes_removed", "deployments": "deployments_removed"}


def _key(row: dict[str, Any]) -> str:
    return f"{row.get('namespace', 'default')}/{row['name']}"


class ViewModel:
    """The widget's state, updated in place from ``cluster.subscribe`` changes.

    Example:
        >>> model = ViewModel(cluster.snapshot())
        >>> patch = model.apply([change])      # None when nothing visible changed
        >>> patch["pods"]                      # the chips to redraw
    """

    def __init__(self, snapshot: dict[str, Any], record: bool = True, **timeline):
        self.state = view_state(snapshot)
        self._t = float(snapshot.get("time") or 0.0)
        # Every change, with its own cluster time, for replay (None: not recorded).
        self.timeline = Timeline(self.state, **timeline) if record else None
        self._pod_rows = {_key(r): r for r in snapshot.get("pods", [])}
        self._service_eps = {_key(s): endpoint_names([s]) for s in snapshot.get("services", [])}
        self._endpoints = endpoint_names(snapshot.get("services", []))

    @property
    def seq(self) -> int:
        """How many patches this model has produced."""
        return self.state["seq"]

    def full(self) -> dict[str, Any]:
        """A copy of the whole state, for the initial render, a resync or a saved notebook."""
        return copy.deepcopy(self.state)

    def stop(self) -> dict[str, Any]:
        """Mark the state final (the widget stopped following the cluster); returns it."""
        self.state["stopped"] = True
        return self.full()

    def apply(self, changes: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Apply a batch of changes; the patch for the browser, or None when nothing shows.

        Each change is applied (and recorded in the timeline, with its own time) in order;
        the patch carries only the rows whose view differs from before the batch.
        """
        before: dict[tuple[str, str], Any] = {}
        events: list[dict[str, Any]] = []
        time = self.state["header"]["time"]
        for change in changes:
            # A change without a time happened at the latest time we know of.
            self._t = max(self._t, float(change.get("time") or self._t))
            time = max(time, self._t)
            kind, key = change["kind"], change["key"]
            if kind == "Event":
                event = event_view(change["row"])
                events.append(event)
                if self.timeline is not None:
                    self.timeline.record(self._t, "events", "", event)
            elif kind == "Pod":
                self._pod(key, change, before)
            elif kind == "Node":
                self._row("nodes", key, change, node_view, before)
            elif kind == "Deployment":
                self._row("deployments", key, change, deployment_view, before)
            elif kind == "Service":
                self._service(key, change, before)
        patch: dict[str, Any] = {}
        for (section, key), old in before.items():
            new = self.state[section].get(key, _GONE)
            if new is _GONE:
                if old is not _GONE:
                    patch.setdefault(REMOVED[section], []).append(key)
            elif new != old:
                patch.setdefault(section, {})[key] = new
        if events:
            shown = [*self.state["events"], *events][-EVENTS_SHOWN:]
            self.state["events"] = patch["events"] = shown
        if "pods" in patch or "removed" in patch or "deployments" in patch:
            versions = versions_of(self.state["pods"].values(), self.state["deployments"].values())
            if versions != self.state["versions"]:
                self.state["versions"] = patch["versions"] = versions
        old = self.state["header"]
        header = header_view(old["backend"], old["simulated"], old["cluster"], time)
        if header != old:
            self.state["header"] = patch["header"] = header
        rec = None
        if self.timeline is not None:
            self.timeline.note_time(time)
            rec = self.timeline.take()
        if not patch and rec is None:
            return None
        self.state["seq"] += 1
        return {"type": "patch", "seq": self.state["seq"], **patch, **({"rec": rec} if rec else {})}

    # ---- one kind each ------------------------------------------------------------------
    def _set(self, section: str, key: str, view: dict | None, before: dict) -> None:
        """One row's new view (None: gone): kept, remembered for the patch, recorded."""
        rows = self.state[section]
        old = rows.get(key, _GONE)
        if view is None:
            if old is _GONE:
                return
            del rows[key]
        elif old == view:
            return
        else:
            rows[key] = view
        before.setdefault((section, key), old)
        if self.timeline is not None:
            self.timeline.record(self._t, section, key, view)

    def _pod(self, key: str, change: dict[str, Any], before: dict) -> None:
        if change["type"] == "DELETED" or change.get("row") is None:
            self._pod_rows.pop(key, None)
            self._set("pods", key, None, before)
            return
        self._pod_rows[key] = change["row"]
        self._redraw_pod(key, before)

    def _redraw_pod(self, key: str, before: dict) -> None:
        row = self._pod_rows.get(key)
        if row is not None:
            self._set("pods", key, pod_view(row, endpoint=key in self._endpoints), before)

    def _row(self, section: str, key: str, change: dict, to_view, before: dict) -> None:
        gone = change["type"] == "DELETED" or change.get("row") is None
        self._set(section, key, None if gone else to_view(change["row"]), before)

    def _service(self, key: str, change: dict[str, Any], before: dict) -> None:
        old = self._service_eps.pop(key, set())
        if change["type"] != "DELETED" and change.get("row") is not None:
            self._service_eps[key] = endpoint_names([change["row"]])
        new = self._service_eps.get(key, set())
        if old == new:
            return
        self._endpoints = set().union(*self._service_eps.values())
        for pod in sorted(old ^ new):
            self._redraw_pod(pod, before)
