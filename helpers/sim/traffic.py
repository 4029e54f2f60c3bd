"""Requests to a simulated Service: routing through kube-proxy, per-pod queues, the real model.

A request goes where kube-proxy sends it: a random endpoint (iptables mode picks one at
random) from the proxy's own copy of the Endpoints, which lags the real object by a
propagation delay. The chosen pod answers according to its server's state
(``sim.serving``): connection refused once its listener is closed, 503 while the model
loads, else after queueing behind the requests it is already serving. Every request is
an event on the cluster clock, so runs are deterministic per seed and cost microseconds.
(kubernetes.io/docs/reference/networking/virtual-ips/#proxy-mode-iptables)
"""

from __future__ import annotations

import heapq
import weakref
from collections import deque
from functools import lru_cache
from typing import NamedTuple

from helpers import traffic
from helpers.errors import LabError
from helpers.traffic import STATUS_NOT_SENT, Schedule, TrafficRun

# 1 s: kube-proxy applies Endpoints changes at most once per --iptables-min-sync-period
# (default 1 s), after the EndpointSlice controller's own short batching; about 1 s is what
# a small cluster shows (an assumption: large clusters can take several seconds).
PROPAGATION_DELAY_S = 1.0
# 5 s: the client's timeout; a request unanswered by then fails with 504.
CLIENT_TIMEOUT_S = 5.0
# One request costs about 2 ms of CPU at one full core: HTTP parsing and pydantic
# validation of 64 numbers, then a tiny matrix product (the model server is one uvicorn
# process, and its /predict is async: requests are served one at a time, on one core).
BASE_SERVICE_S = 0.0019
ROW_SERVICE_S = 0.0001
# 100 ms: the CFS bandwidth period the kubelet sets (cpu.cfs_period_us); a CPU limit is a
# quota of limit x 100 ms of CPU per period.
CFS_PERIOD_S = 0.1
# 503 while loading, and a connection refused, answer in about a millisecond.
FAST_FAIL_S = 0.001
# A request held longer than this (queued, or a fault's delay) is checked again when it
# ends: if the server died meanwhile, its connection was reset. Shorter ones are not (a
# process dying within a few milliseconds of a request is rare, and checks cost events).
LONG_REQUEST_S = 0.05

# 256: the client's cap on outstanding requests, as the kube backend's driver has it; a
# request due while 256 are outstanding is not sent and fails at once (status 0).
MAX_IN_FLIGHT = 256

STATUS_CLIENT_BUSY = STATUS_NOT_SENT  # the client had MAX_IN_FLIGHT requests outstanding: not sent
STATUS_NO_ENDPOINT = STATUS_NOT_SENT  # kube-proxy rejects: the Service has no endpoints at all
STATUS_REFUSED = traffic.STATUS_REFUSED  # the chosen pod refused or reset the connection
STATUS_LOADING = 503  # the server is up but its model is not loaded yet
STATUS_TIMEOUT = (
    traffic.STATUS_TIMEOUT
)  # no answer within CLIENT_TIMEOUT_S (overload, or the node is off)


class Outcome(NamedTuple):
    """One request's result, as TrafficRun.record takes it (a tuple: cheap to make)."""

    latency_s: float
    status: int
    version: str | None
    pod: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200


class ProxyView:
    """kube-proxy's copy of one Service's endpoints, PROPAGATION_DELAY_S behind the real one."""

    def __init__(self, sim, service: str, namespace: str):
        self._sim = sim
        self._key = f"{namespace}/{service}"
        self.endpoints: list[str] = list(sim.endpoints(service, namespace))
        self._latest = tuple(self.endpoints)
        self._unsubscribe = sim.subscribe(self._on_change)

    def _on_change(self, change: dict) -> None:
        if change.get("kind") != "Service" or change.get("key") != self._key:
            return
        row = change.get("row")
        endpoints = tuple(row["endpoints"]) if row else ()
        if endpoints != self._latest:
            self._latest = endpoints
            clock = self._sim.clock
            clock.call_at(clock.now + PROPAGATION_DELAY_S, self._apply, endpoints)

    def _apply(self, endpoints: tuple[str, ...]) -> None:
        self.endpoints = list(endpoints)


# Routers by cluster: they live exactly as long as their cluster does.
_ROUTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Router:
    """Routing and per-pod queues for one Service of one simulated cluster (shared by runs)."""

    @classmethod
    def of(cls, sim, service: str, namespace: str) -> Router:
        """The router of ``service`` (created on first use, then kept with the cluster)."""
        routers = _ROUTERS.setdefault(sim, {})
        key = (namespace, service)
        if key not in routers:
            sim.get("Service", service, namespace)  # NotFound names the missing Service
            routers[key] = cls(sim, service, namespace)
        return routers[key]

    def __init__(self, sim, service: str, namespace: str):
        self._sim = sim
        self.service, self.namespace = service, namespace
        self.view = ProxyView(sim, service, namespace)
        self._rng = sim.rng(f"traffic/{namespace}/{service}")
        # Per pod: finish times of the requests it holds, oldest first. One request at a
        # time: the server is one uvicorn worker whose async /predict computes on the event
        # loop. No in-flight limit: uvicorn's --limit-concurrency is unset in the image, so
        # overload shows as a growing queue and then client timeouts (504), as it does live.
        self._queues: dict[str, deque[float]] = {}
        self._cfs: dict[str, tuple[int, float]] = {}  # pod -> (CFS period, CPU used in it)

    def pick(self) -> str | None:
        """A random endpoint from the proxy's view, or None when it has none."""
        endpoints = self.view.endpoints
        if not endpoints:
            return None
        return endpoints[int(self._rng.random() * len(endpoints))]

    def survived(self, pod: str) -> bool:
        """Whether ``pod``'s server is still there to finish a request (checked at its end).

        A draining server (SIGTERM, listener closed) still answers what it holds; a pod that
        is gone, whose container died, or whose node is off does not.
        """
        serving = self._sim.serving(pod, self.namespace)
        if serving is None or (serving.node and not self._sim.node_up(serving.node)):
            return False
        return serving.accepting or serving.terminating

    def _throttled(self, pod: str, start: float, work: float, limit: float) -> float:
        """When ``work`` CPU-seconds begun at ``start`` end under a CFS quota of ``limit`` cores.

        CPU above the limit is throttled, not killed: each 100 ms period the container may
        run ``limit`` x 100 ms, then waits for the next period.
        """
        quota = min(limit, 1.0) * CFS_PERIOD_S  # one worker uses one core at most
        period, used = self._cfs.get(pod, (-1, 0.0))
        if int(start // CFS_PERIOD_S) > period:
            period, used = int(start // CFS_PERIOD_S), 0.0
        now = start
        while True:
            run = min(work, quota - used)
            now, used, work = now + run, used + run, work - run
            if work <= 1e-12:
                break
            # Quota spent: throttled until the next period (integer periods, no float drift).
            period, used = period + 1, 0.0
            now = max(now, period * CFS_PERIOD_S)
        self._cfs[pod] = (period, used)
        return now

    def send(self, t: float, n_rows: int = 1) -> Outcome:
        """Route one request sent at ``t`` and work out its answer."""
        pod = self.pick()
        if pod is None:
            return Outcome(FAST_FAIL_S, STATUS_NO_ENDPOINT, None, None)
        serving = self._sim.serving(pod, self.namespace)
        if serving is None or not serving.accepting:
            if serving is not None and serving.node and not self._sim.node_up(serving.node):
                # A machine that is off answers nothing (no reset): the client times out.
                return Outcome(CLIENT_TIMEOUT_S, STATUS_TIMEOUT, None, pod)
            return Outcome(FAST_FAIL_S, STATUS_REFUSED, None, pod)
        if not serving.model_loaded:
            return Outcome(FAST_FAIL_S, STATUS_LOADING, None, pod)
        work = BASE_SERVICE_S + ROW_SERVICE_S * n_rows
        queue = self._queues.setdefault(pod, deque())
        while queue and queue[0] <= t:
            queue.popleft()
        start = queue[-1] if queue else t
        if serving.cpu_limit:
            finish = self._throttled(pod, start, work, serving.cpu_limit)
        else:
            finish = start + work
        queue.append(finish)
        self._sim.metrics.add_busy(pod, self.namespace, start, work)
        # The fault's delay is an await in the handler: it adds latency, not CPU.
        latency = finish - t + serving.extra_latency_ms / 1000.0
        if latency > CLIENT_TIMEOUT_S:
            return Outcome(CLIENT_TIMEOUT_S, STATUS_TIMEOUT, None, pod)
        return Outcome(latency, 200, serving.version, pod)


@lru_cache(maxsize=8)
def model(version: str):
    """The real model of an image version, built on first use and cached."""
    from orchestra_model import artifacts

    try:
        return artifacts.load(version)
    except artifacts.ArtifactError:
        artifacts.ensure(version)  # first use on this machine: train and write it
        return artifacts.load(version)


def _lock(sim):
    # The cluster's one lock: in realtime mode the clock's thread runs requests meanwhile.
    return sim._lock


class ServiceClient:
    """A client of one simulated Service: ``predict`` runs the serving pod's real model.

    Example:
        >>> svc = cluster.service("model")
        >>> svc.predict(orchestra_model.data.sample_rows(2))
        {'predictions': [3, 8], 'version': 'v1', 'pod': 'model-6d4b9c7f5-x2k9p'}
    """

    def __init__(self, sim, service: str, namespace: str = "default"):
        self._sim = sim
        self.service, self.namespace = service, namespace

    def __repr__(self) -> str:
        return f"<ServiceClient service/{self.service} in {self.namespace} (simulated)>"

    def predict(self, rows) -> dict:
        """Send one /predict request through the Service; returns predictions, version, pod.

        Raises:
            LabError: no Ready endpoint, the pod refused the connection, or its model is
                still loading (HTTP 503) — with what to look at next.
        """
        rows = _check_rows(rows)
        with _lock(self._sim):
            router = Router.of(self._sim, self.service, self.namespace)
            outcome = router.send(self._sim.now(), len(rows))
        ref = f"service/{self.service}"
        if outcome.status == STATUS_NO_ENDPOINT:
            raise LabError(
                f"{ref} has no ready endpoints: no pod matching its selector is Ready.",
                "Look at cluster.pods() and cluster.events(): are the pods Running and Ready?",
            )
        if outcome.status == STATUS_REFUSED:
            raise LabError(
                f"{ref} sent the request to pod {outcome.pod}, which refused the connection "
                "(it is shutting down or gone).",
                "Try again; a preStop sleep and readiness probes avoid this during rollouts.",
            )
        if outcome.status == STATUS_LOADING:
            raise LabError(
                f"pod {outcome.pod} answered 503: its model is still loading.",
                "Wait a few seconds; a readinessProbe on /readyz keeps such pods out of the "
                "Service until they can answer.",
            )
        if outcome.status == STATUS_TIMEOUT:
            raise LabError(
                f"pod {outcome.pod} did not answer within {CLIENT_TIMEOUT_S:g} s (overloaded).",
                "Lower the traffic or scale the Deployment up.",
            )
        from orchestra_model.artifacts import ArtifactError

        try:
            predictions = model(outcome.version).predict(rows)
        except ArtifactError as err:
            raise LabError(
                f"pod {outcome.pod} answered 500: {err}",
                'Roll back: cluster.rollout_undo("model").',
            ) from None
        return {"predictions": predictions, "version": outcome.version, "pod": outcome.pod}


def _check_rows(rows) -> list[list[float]]:
    from orchestra_model.data import N_FEATURES

    # 1000: the model server's MAX_ROWS; it answers 422 beyond.
    ok = isinstance(rows, list | tuple) and 1 <= len(rows) <= 1000
    ok = ok and all(isinstance(r, list | tuple) and len(r) == N_FEATURES for r in rows)
    if not ok:
        raise LabError(
            f"predict takes 1 to 1000 rows of {N_FEATURES} numbers (the server answers 422).",
            "Use orchestra_model.data.sample_rows(5) for valid rows.",
        )
    return [[float(x) for x in r] for r in rows]


class SimTrafficRun(TrafficRun):
    """Open-loop load on a simulated Service, one clock event per request.

    In virtual time the run moves whenever the cluster clock does (sleep, wait,
    wait_rollout); in realtime mode the clock's thread drives it.

    Example:
        >>> with cluster.traffic("model", rps=50) as run:
        ...     cluster.sleep(60)
        >>> len(run.results)   # t = 0, 0.02, ..., 60.0
        3001
    """

    def __init__(self, sim, service: str, namespace: str, schedule: Schedule, rows=None):
        super().__init__(service, schedule)
        self._sim = sim
        self._n_rows = len(_check_rows(rows)) if rows is not None else 1
        with _lock(sim):
            self._router = Router.of(sim, service, namespace)
        self._next = 0
        self._limit = schedule.limit
        self._handle = None
        self._outstanding: list[float] = []  # when each request in flight ends (a heap)

    def _now(self) -> float:
        return self._sim.now()

    def _begin(self) -> None:
        with _lock(self._sim):
            if self._handle is None and not self._stopped and self.schedule.limit > 0:
                t = self.schedule.time_of(0)
                self._handle = self._sim.clock.call_at(t, self._fire)

    def _end(self) -> None:
        with _lock(self._sim):
            self._sim.clock.cancel(self._handle)
            self._handle = None

    def _fire(self) -> None:
        # The hot path (one call per request): the schedule's arithmetic inlined.
        schedule = self.schedule
        t = schedule.start + self._next / schedule.rps
        outstanding = self._outstanding
        while outstanding and outstanding[0] <= t:
            heapq.heappop(outstanding)
        if len(outstanding) >= MAX_IN_FLIGHT:
            self.record(t, 0.0, False, STATUS_CLIENT_BUSY, None, None)
        else:
            latency, status, version, pod = self._router.send(t, self._n_rows)
            heapq.heappush(outstanding, t + latency)
            if status == 200 and latency > LONG_REQUEST_S:
                with self._lock:
                    row = len(self._rows)
                self._sim.clock.call_at(t + latency, self._check, row, pod)
            self.record(t, latency * 1000.0, status == 200, status, version, pod)
        self._next += 1
        if self._next < self._limit:
            t_next = schedule.start + self._next / schedule.rps
            self._handle = self._sim.clock.call_at(t_next, self._fire)
        else:
            self._handle = None
            self._stopped = True  # the schedule is done: the run ends by itself
            self.stopped_at = t

    def _check(self, row: int, pod: str) -> None:
        # The answer was recorded as it would arrive; a server that died before sending it
        # reset the connection instead.
        if self._router.survived(pod):
            return
        with self._lock:
            t, latency_ms, *_ = self._rows[row]
            self._rows[row] = (t, latency_ms, False, STATUS_REFUSED, None, pod)
