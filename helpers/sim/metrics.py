"""Simulated resource metrics: per-pod CPU use, as metrics-server reports it to the HPA.

The traffic module records the CPU time each request costs (``add_busy``); a pod's usage
is that busy time plus a small idle baseline, averaged over the metrics window. A pod has
no metrics until its container has run for one window, as metrics-server needs two
scrapes to compute a rate (kubernetes-sigs/metrics-server, ``--metric-resolution``).

The start and readiness times of each pod are tracked from the data plane's change records
(``plane.subscribe``), so
the HPA can apply its CPU initialization rules without parsing timestamps.
(kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# 15 s: metrics-server's default --metric-resolution, the window its CPU rate covers.
WINDOW_S = 15.0
# 2 millicores: an idle uvicorn process (event loop and timers) uses about that.
IDLE_CPU_CORES = 0.002
# Busy time is kept in 1 s buckets, and for 4 windows: enough for any read, bounded memory.
KEEP_S = 4 * WINDOW_S


@dataclass
class PodTimes:
    """When a pod's container last started and when its Ready condition last changed."""

    started: float | None = None  # the container's current start; None: not running
    first_started: float | None = None  # the pod's first container start (status.startTime)
    ready: bool = False
    ready_changed: float = -math.inf
    restarts: int = 0


class Metrics:
    """Per-pod CPU usage of one simulated cluster (the resource metrics API).

    Example:
        >>> plane.metrics.add_busy("model-abc-x2k9p", "default", plane.now() - 1, 0.03)
        >>> plane.metrics.pod_cpu("model-abc-x2k9p", "default")  # idle 0.002 + 0.03 / 15 s
        0.004
    """

    def __init__(self, plane):
        self._plane = plane  # the DataPlane: now, pod_rows, subscribe, serving, node_up
        self._busy: dict[tuple[str, str], dict[int, float]] = {}
        self._times: dict[tuple[str, str], PodTimes] = {}
        now = plane.now()
        for row in plane.pod_rows():
            # Already running when metrics began: treat as started long ago.
            self._observe(row, -math.inf if row["status"] == "Running" else now, initial=True)
        self._unsubscribe = plane.subscribe(self._on_change)

    # ---- what the traffic module feeds in --------------------------------------------
    def add_busy(self, pod: str, namespace: str, t: float, cpu_seconds: float) -> None:
        """Record ``cpu_seconds`` of CPU work done by ``pod`` starting at time ``t``."""
        buckets = self._busy.setdefault((namespace, pod), {})
        second = math.floor(t)
        buckets[second] = buckets.get(second, 0.0) + cpu_seconds
        if len(buckets) > KEEP_S + 8:
            cutoff = second - KEEP_S
            for old in [s for s in buckets if s < cutoff]:
                del buckets[old]

    # ---- what the HPA reads ------------------------------------------------------------
    def pod_cpu(self, pod: str, namespace: str = "default") -> float | None:
        """Average CPU use in cores over the last window; None when there are no metrics.

        None for a pod that is gone, whose container is not running, or that started less
        than one window ago (metrics-server has no rate for it yet).
        """
        times = self._times.get((namespace, pod))
        now = self._plane.now()
        if times is None or times.started is None or now - times.started < WINDOW_S:
            return None
        serving = self._plane.serving(pod, namespace)
        if serving is None or not self._plane.node_up(serving.node):
            return None  # gone, or on a node metrics-server cannot scrape
        # The last WINDOW_S whole seconds up to now (1 s granularity is below what the HPA
        # can resolve: it reads integer percent every 15 s).
        last = math.floor(now)
        buckets = self._busy.get((namespace, pod), {})
        busy = sum(buckets.get(s, 0.0) for s in range(last - int(WINDOW_S), last))
        return IDLE_CPU_CORES + busy / WINDOW_S

    def pod_times(self, pod: str, namespace: str = "default") -> PodTimes | None:
        """Start and readiness times of a pod (None if it was never seen)."""
        return self._times.get((namespace, pod))

    def close(self) -> None:
        """Stop watching the cluster."""
        self._unsubscribe()

    # ---- tracking starts and readiness -------------------------------------------------
    def _on_change(self, change: dict) -> None:
        if change.get("kind") != "Pod":
            return
        if change["type"] == "DELETED":
            key = tuple(change["key"].split("/", 1))
            self._times.pop(key, None)
            self._busy.pop(key, None)
            return
        self._observe(change["row"], change.get("time", self._plane.now()))

    def _observe(self, row: dict, t: float, initial: bool = False) -> None:
        key = (row["namespace"], row["name"])
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = PodTimes(restarts=row["restarts"])
        running = row["status"] in ("Running", "Terminating") and row["phase"] == "Running"
        if not running:
            times.started = None
        elif times.started is None or row["restarts"] != times.restarts:
            times.started = t
            if times.first_started is None:
                times.first_started = t
        times.restarts = row["restarts"]
        if row["ready"] != times.ready:
            times.ready = row["ready"]
            times.ready_changed = -math.inf if initial else t
