"""Open-loop traffic: requests sent on schedule whatever the latency, so overload shows honestly.

A closed-loop client (send, wait for the answer, send again) slows down when the server
does and so hides overload; an open-loop one keeps its rate and lets latency and failures
grow. The schedule, bounds and results live here once; each backend supplies a *driver*
that sends the requests: the simulator on its virtual clock, the kube backend over HTTP.

Example:
    >>> with cluster.traffic("model", rps=50) as run:
    ...     cluster.set_image("model", "orchestra/model:v2")
    ...     cluster.wait_rollout("model")
    >>> run.summary()["failed"]
    0
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.errors import LabError

RESULT_COLUMNS = ["t", "latency_ms", "ok", "status", "version", "pod"]

# What a failed request records as its status, the same on both backends, so a lab can tell
# the failures apart: HTTP statuses where a server or proxy would answer, 0 where none did.
STATUS_NOT_SENT = 0  # the client had too many requests outstanding, or no endpoint exists
STATUS_REFUSED = 502  # the chosen pod refused or reset the connection (it was shutting down)
STATUS_TIMEOUT = 504  # no answer within the client's timeout (overload, or the node is off)

# The hint for a Service whose pods answered with an error of their own ({"detail": ...}),
# as the gateway of lab 08 does: its words say what went wrong behind it.
ANSWERED_HINT = (
    "The answer says what went wrong behind the Service: read it, then the settings and pods "
    "it names (cluster.get, cluster.pods(), cluster.events())."
)

# What each failure status of a traffic run says went wrong (short, for the table), the
# practice that prevents it, and why (for the hint). Both backends record these
# statuses (above).
FAILURE_CAUSES = {
    503: (
        "model loading: sent to a pod not yet Ready",
        "readinessProbe on /readyz",
        "a readiness probe keeps a pod out of the endpoints until its model is loaded",
    ),
    STATUS_REFUSED: (
        "refused: the pod had stopped, still an endpoint",
        "preStop sleep",
        "a preStop sleep keeps a stopping pod serving until its removal from the endpoints "
        "reaches every node",
    ),
    STATUS_TIMEOUT: (
        "timed out: its pod vanished mid-way, or overload",
        "preStop sleep; spare capacity",
        "a pod that exits (or a node that stops) while still an endpoint leaves connections "
        "unanswered; a preStop sleep, maxUnavailable: 0 and enough replicas avoid it",
    ),
    STATUS_NOT_SENT: (
        "not sent: no endpoint, or the client was saturated",
        "ready endpoints all along",
        "check that the Service keeps ready endpoints (kubectl get endpointslices)",
    ),
}


def failure_causes(run) -> pd.DataFrame:
    """The failed requests of a traffic run, grouped by status, with what each one means.

    Returns:
        One row per failure status: ``status``, ``failed`` (count), ``cause`` and
        ``prevented_by`` (the practice that stops it); empty when nothing failed.

    Example:
        >>> helpers.lab.failure_causes(naive)
           status  failed                                        cause               prevented_by
        0     503      97  model loading: sent to a pod not yet Ready  readinessProbe on /readyz
    """
    df = run if isinstance(run, pd.DataFrame) else getattr(run, "results", None)
    if df is None:
        raise LabError(
            "pass the traffic run (the object of `with cluster.traffic(...)`).",
            "e.g. helpers.lab.failure_causes(run)",
        )
    counts = df.loc[~df["ok"], "status"].value_counts().sort_index()
    rows = []
    for status, failed in counts.items():
        cause, practice, _ = FAILURE_CAUSES.get(
            int(status), (f"answered {status}", "read the pod logs (kubectl logs)", "")
        )
        rows.append((int(status), int(failed), cause, practice))
    return pd.DataFrame(rows, columns=["status", "failed", "cause", "prevented_by"])


# Bounds keep a student's typo (rps=5000000) from flooding a laptop or a classroom cluster.
MAX_RPS = 2000.0
MAX_DURATION_S = 3600.0
MAX_REQUESTS = 1_000_000


@dataclass(frozen=True)
class Schedule:
    """When each request goes out: request i at ``start + i / rps`` (evenly spaced)."""

    rps: float
    start: float
    duration: float | None = None
    max_requests: int | None = None

    def __post_init__(self):
        if not (isinstance(self.rps, int | float) and 0 < self.rps <= MAX_RPS):
            raise LabError(
                f"traffic rps must be between 0 and {MAX_RPS:g}, not {self.rps!r}.",
                "Pick a rate a laptop can send, e.g. rps=50.",
            )
        if self.duration is not None and not 0 < self.duration <= MAX_DURATION_S:
            raise LabError(
                f"traffic duration must be between 0 and {MAX_DURATION_S:g} s, not {self.duration!r}.",
                "Use duration=None to run until the with-block ends.",
            )

    @property
    def limit(self) -> int:
        """How many requests the schedule holds at most."""
        duration = self.duration if self.duration is not None else MAX_DURATION_S
        count = math.ceil(duration * self.rps - 1e-9)
        return min(count, self.max_requests or MAX_REQUESTS, MAX_REQUESTS)

    def time_of(self, i: int) -> float:
        """Send time of request ``i`` (0-based)."""
        return self.start + i / self.rps

    @property
    def end(self) -> float:
        """The time after the last scheduled request."""
        return self.start + self.limit / self.rps


class TrafficRun:
    """One run of open-loop load: its schedule, its results, and stop().

    Drivers subclass it and implement ``_begin`` and ``_end``; they call ``record`` for
    every request, from any thread.
    """

    def __init__(self, service: str, schedule: Schedule):
        self.service = service
        self.schedule = schedule
        self._rows: list[tuple] = []
        self._lock = threading.Lock()
        self._stopped = False
        self.stopped_at: float | None = None

    # ---- driver hooks -----------------------------------------------------------------
    def _begin(self) -> None:
        """Start sending (driver-specific)."""

    def _end(self) -> None:
        """Stop sending and wait for in-flight requests (driver-specific)."""

    def _now(self) -> float:
        raise NotImplementedError

    def _finish(self, at: float | None = None) -> None:
        """Mark the run ended by its schedule running out (no stop() call needed)."""
        if not self._stopped:
            self._stopped = True
            self.stopped_at = self._now() if at is None else at

    # ---- public -----------------------------------------------------------------------
    def record(self, t: float, latency_ms: float, ok: bool, status: int, version, pod) -> None:
        """Store one request's outcome (t: send time on the cluster clock)."""
        with self._lock:
            self._rows.append((t, float(latency_ms), bool(ok), int(status), version, pod))

    @property
    def running(self) -> bool:
        """True until stop() (or the schedule's end)."""
        return not self._stopped

    def start(self) -> TrafficRun:
        """Begin sending; returns self (the with-statement calls this)."""
        self._begin()
        return self

    def stop(self) -> None:
        """Stop sending; requests already in flight finish and are recorded."""
        if self._stopped:
            return
        self._stopped = True
        self.stopped_at = self._now()
        self._end()

    def __enter__(self) -> TrafficRun:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def results(self) -> pd.DataFrame:
        """One row per request: t, latency_ms, ok, status, version, pod (sorted by t)."""
        with self._lock:
            rows = sorted(self._rows, key=lambda r: r[0])
        return pd.DataFrame(rows, columns=RESULT_COLUMNS)

    def summary(self) -> dict[str, Any]:
        """Counts and latency percentiles of the run so far."""
        df = self.results
        ok = df[df["ok"]]
        pct = ok["latency_ms"].quantile([0.5, 0.95, 0.99]) if len(ok) else None
        return {
            "requests": len(df),
            "ok": int(df["ok"].sum()),
            "failed": int((~df["ok"]).sum()),
            "availability": round(float(df["ok"].mean()), 4) if len(df) else None,
            "p50_ms": round(float(pct[0.5]), 2) if pct is not None else None,
            "p95_ms": round(float(pct[0.95]), 2) if pct is not None else None,
            "p99_ms": round(float(pct[0.99]), 2) if pct is not None else None,
            "versions": df.loc[df["ok"], "version"].value_counts().sort_index().to_dict(),
        }

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<TrafficRun {self.service} {self.schedule.rps:g} rps, {state}, {len(self._rows)} requests>"
