"""The view state kept current by changes, and the small patches that carry it to a browser.

``ViewModel`` indexes the view state by key so one change costs one row's work, whatever
the cluster's size; ``apply`` coalesces a batch of changes (the last change of an object
wins) and returns only what differs, as one patch message::

    {"type": "patch", "seq": 42, "pods": {key: PodView}, "removed": [key, ...],
     "nodes": {...}, "nodes_removed": [...], "deployments": {...},
     "deployments_removed": [...], "events": [...], "header": {...}, "versions": [...]}

Keys with nothing to say are left out. ``seq`` counts patches, so a front end that missed
one asks for the full state again.
"""

from __future__ import annotations

import copy
from typing import Any

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


def _key(row: dict[str, Any]) -> str:
    return f"{row.get('namespace', 'default')}/{row['name']}"


class ViewModel:
    """The widget's state, updated in place from ``cluster.subscribe`` changes.

    Example:
        >>> model = ViewModel(cluster.snapshot())
        >>> patch = model.apply([change])      # None when nothing visible changed
        >>> patch["pods"]                      # the chips to redraw
    """

    def __init__(self, snapshot: dict[str, Any]):
        self.state = view_state(snapshot)
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
        """Apply a batch of changes; the patch for the browser, or None when nothing shows."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        events: list[dict[str, Any]] = []
        time = self.state["header"]["time"]
        for change in changes:
            time = max(time, float(change.get("time") or 0.0))
            if change["kind"] == "Event":
                events.append(change["row"])
            else:
                # Re-insert so the dict keeps the order of each object's latest change.
                latest.pop((change["kind"], change["key"]), None)
                latest[(change["kind"], change["key"])] = change
        patch: dict[str, Any] = {}
        for (kind, key), change in latest.items():
            if kind == "Pod":
                self._pod(key, change, patch)
            elif kind == "Node":
                self._row("nodes", key, change, node_view, patch)
            elif kind == "Deployment":
                self._row("deployments", key, change, deployment_view, patch)
            elif kind == "Service":
                self._service(key, change, patch)
        if events:
            shown = [*self.state["events"], *map(event_view, events)][-EVENTS_SHOWN:]
            self.state["events"] = patch["events"] = shown
        if "pods" in patch or "removed" in patch or "deployments" in patch:
            versions = versions_of(self.state["pods"].values(), self.state["deployments"].values())
            if versions != self.state["versions"]:
                self.state["versions"] = patch["versions"] = versions
        old = self.state["header"]
        header = header_view(old["backend"], old["simulated"], old["cluster"], time)
        if header != old:
            self.state["header"] = patch["header"] = header
        if not patch:
            return None
        self.state["seq"] += 1
        return {"type": "patch", "seq": self.state["seq"], **patch}

    # ---- one kind each ------------------------------------------------------------------
    def _pod(self, key: str, change: dict[str, Any], patch: dict[str, Any]) -> None:
        if change["type"] == "DELETED" or change.get("row") is None:
            self._pod_rows.pop(key, None)
            if self.state["pods"].pop(key, None) is not None:
                patch.setdefault("removed", []).append(key)
            return
        self._pod_rows[key] = change["row"]
        self._redraw_pod(key, patch)

    def _redraw_pod(self, key: str, patch: dict[str, Any]) -> None:
        row = self._pod_rows.get(key)
        if row is None:
            return
        view = pod_view(row, endpoint=key in self._endpoints)
        if self.state["pods"].get(key) != view:
            self.state["pods"][key] = view
            patch.setdefault("pods", {})[key] = view
            if key in patch.get("removed", []):
                patch["removed"].remove(key)

    def _row(self, section: str, key: str, change: dict, to_view, patch: dict) -> None:
        rows = self.state[section]
        if change["type"] == "DELETED" or change.get("row") is None:
            if rows.pop(key, None) is not None:
                patch.setdefault(f"{section}_removed", []).append(key)
            return
        view = to_view(change["row"])
        if rows.get(key) != view:
            rows[key] = patch.setdefault(section, {})[key] = view

    def _service(self, key: str, change: dict[str, Any], patch: dict[str, Any]) -> None:
        before = self._service_eps.pop(key, set())
        if change["type"] != "DELETED" and change.get("row") is not None:
            self._service_eps[key] = endpoint_names([change["row"]])
        after = self._service_eps.get(key, set())
        if before == after:
            return
        self._endpoints = set().union(*self._service_eps.values())
        for pod in before ^ after:
            self._redraw_pod(pod, patch)
