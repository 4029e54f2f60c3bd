"""Recorder: pods per model version over time, counted as changes arrive.

A rollout is a handover between cohorts (v1 pods go, v2 pods come); the Recorder keeps
the count of pods and of Ready pods per version after every change that moves one, so
``plots.pods_per_version(recorder.history)`` can draw the handover afterwards. Each change
costs a dict lookup and two counter updates, whatever the cluster's size.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pandas as pd

HISTORY_COLUMNS = ["t", "version", "pods", "ready"]

# Pods on their way out or finished no longer belong to a cohort.
GONE_STATUSES = frozenset({"Terminating", "Completed", "Evicted", "Error"})


class Recorder:
    """Counts of pods and Ready pods per version, one row each time a count moves.

    Args:
        cluster: any ``helpers.core.api.Cluster``.
        deployment: count only that Deployment's pods (default: every pod).

    Example:
        >>> with Recorder(cluster, deployment="model") as rec:
        ...     cluster.set_image("model", "orchestra/model:v2")
        ...     cluster.wait_rollout("model")
        >>> helpers.plots.pods_per_version(rec.history)
    """

    def __init__(self, cluster, deployment: str | None = None):
        self.deployment = deployment
        self._lock = threading.Lock()
        self._pods: dict[str, tuple[str, bool]] = {}
        self._counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._rows: list[tuple[float, str, int, int]] = []
        self._unsubscribe = cluster.subscribe(self._on_change)
        snap = cluster.snapshot()
        with self._lock:
            for row in snap.get("pods", []):
                self._update(f"{row['namespace']}/{row['name']}", row, None)
            t = float(snap.get("time", 0.0))
            for version in sorted(self._counts):
                self._rows.append((t, version, *self._counts[version]))
        self._stopped = False

    def _counted(self, row: dict[str, Any] | None) -> tuple[str, bool] | None:
        if row is None or row.get("status") in GONE_STATUSES:
            return None
        if self.deployment is not None and row.get("owner") != self.deployment:
            return None
        return (row.get("version") or "?", bool(row.get("ready")))

    def _update(self, key: str, row: dict[str, Any] | None, t: float | None) -> None:
        new = self._counted(row)
        old = self._pods.get(key)
        if new == old:
            return
        for entry, sign in ((old, -1), (new, 1)):
            if entry is not None:
                counts = self._counts[entry[0]]
                counts[0] += sign
                counts[1] += sign * entry[1]
        if new is None:
            del self._pods[key]
        else:
            self._pods[key] = new
        if t is not None:
            for version in {e[0] for e in (old, new) if e is not None}:
                self._rows.append((t, version, *self._counts[version]))

    def _on_change(self, change: dict[str, Any]) -> None:
        if change.get("kind") != "Pod":
            return
        row = None if change.get("type") == "DELETED" else change.get("row")
        with self._lock:
            self._update(change["key"], row, float(change.get("time") or 0.0))

    @property
    def history(self) -> pd.DataFrame:
        """One row per count change: t, version, pods, ready (oldest first)."""
        with self._lock:
            rows = list(self._rows)
        return pd.DataFrame(rows, columns=HISTORY_COLUMNS)

    def counts(self) -> dict[str, dict[str, int]]:
        """The current counts: ``{"v1": {"pods": 3, "ready": 3}, ...}``."""
        with self._lock:
            return {v: {"pods": c[0], "ready": c[1]} for v, c in sorted(self._counts.items())}

    def stop(self) -> None:
        """Stop recording (the history stays)."""
        if not self._stopped:
            self._stopped = True
            self._unsubscribe()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
