"""Simulated resource metrics: per-pod CPU use, as metrics-server reports it to the HPA.

The traffic module records the CPU time each request costs (``add_busy``); a pod's usage
is that busy time plus a small idle baseline, averaged over the metrics window.
metrics-server scrapes every kubelet once per ``--metric-resolution`` and serves the rate
between a container's last two samples, stamped with the later one: what the HPA reads
is the window that ended at the last scrape (up to one resolution old), and a pod has no
metrics until two scrapes have seen its container running
(kubernetes-sigs/metrics-server, docs/design; the HPA's replica calculator compares that
timestamp with the pod's readiness).

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

    def __init__(self, plane, phase: float = 0.0):
        self._plane = plane  # the DataPlane: now, pod_rows, subscribe, serving, node_up
        # When in each resolution metrics-server scrapes (its start is not aligned with
        # anything the cluster does): 0 <= phase < WINDOW_S.
        self.phase = phase % WINDOW_S
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
    def last_scrape(self) -> float:
        """When metrics-server last scraped the kubelets (seconds on the cluster clock)."""
        now = self._plane.now()
        return self.phase + math.floor((now - self.phase) / WINDOW_S) * WINDOW_S

    def pod_sample(self, pod: str, namespace: str = "default") -> tuple[float, float] | None:
        """``(cores, timestamp)``: the average CPU use over the window that ended at the
        last scrape, and that scrape's time; None when there are no metrics.

        None for a pod that is gone, whose container is not running, or that two scrapes
        have not yet seen running (metrics-server has no rate for it yet).
        """
        times = self._times.get((namespace, pod))
        stamp = self.last_scrape()
        if times is None or times.started is None or stamp - times.started < WINDOW_S:
            return None
        serving = self._plane.serving(pod, namespace)
        if serving is None or not self._plane.node_up(serving.node):
            return None  # gone, or on a node metrics-server cannot scrape
        # The WINDOW_S whole seconds before the scrape (1 s granularity is below what the
        # HPA can resolve: it reads integer percent every 15 s).
        last = math.floor(stamp)
        buckets = self._busy.get((namespace, pod), {})
        busy = sum(buckets.get(s, 0.0) for s in range(last - int(WINDOW_S), last))
        return IDLE_CPU_CORES + busy / WINDOW_S, stamp

    def pod_cpu(self, pod: str, namespace: str = "default") -> float | None:
        """Average CPU use in cores as metrics-server serves it now (``pod_sample``'s)."""
        sample = self.pod_sample(pod, namespace)
        return None if sample is None else sample[0]

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
