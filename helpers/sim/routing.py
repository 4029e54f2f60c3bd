"""Where a request to a simulated Service goes and how its pod answers: the ``Router``.

A request goes where kube-proxy sends it: a random endpoint (iptables mode picks one at
random) from the proxy's own copy of the Endpoints (``ProxyView``), which lags the real
object by a propagation delay. The chosen pod answers according to its server's state
(``plane.serving``): connection refused once its listener is closed or when the Service's
targetPort is not the port it listens on, 503 while the model loads, else after queueing
behind the requests it is already serving, under its CFS quota. Traffic uses the Service's
first port, as the kube backend's client does.
(kubernetes.io/docs/reference/networking/virtual-ips/#proxy-mode-iptables)
"""

from __future__ import annotations

import math
import weakref
from collections import deque
from typing import NamedTuple

from helpers.core import traffic
from helpers.core.traffic import STATUS_NOT_SENT
from helpers.sim import gateway
from helpers.sim.program import GATEWAY

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
# The served time varies from request to request (the event loop, the allocator, the GC):
# each request's work is the mean above times a log-normal factor whose mean is 1 (so CPU
# per request, which the HPA sees, stays the measured mean). Its spread is an estimate
# (p99 / p50 = exp(2.326 sigma) = 2 for the server alone); bench/bench_model.py prints the
# server's percentiles at the labs' 50 req/s to refit it on a quiet machine. End to end,
# the hop below dominates the spread.
SERVICE_SIGMA = 0.30
# The rest of a request's time is the way there and back, which costs the server no CPU:
# the client's connection (one per request, as independent users open them), the NodePort
# DNAT of kube-proxy, the node's bridge and the pod's veth. On the course's kind cluster,
# on a 2-core machine that also runs the nodes, requests took p50 4.4-4.8 ms and p99
# 25-59 ms end to end (the real-cluster issue; bench/kind_report.py measures it on every
# CI run). The hop is log-normal with the median and spread that, added to the served
# time, give p50 ~4.6 ms and p99 ~35 ms.
HOP_MEDIAN_S = 0.0025
HOP_SIGMA = 1.1
# 100 ms: the CFS bandwidth period the kubelet sets (cpu.cfs_period_us); a CPU limit is a
# quota of limit x 100 ms of CPU per period.
CFS_PERIOD_S = 0.1
# 503 while loading, and a connection refused, answer in about a millisecond.
FAST_FAIL_S = 0.001

STATUS_NO_ENDPOINT = STATUS_NOT_SENT  # kube-proxy rejects: the Service has no endpoints at all
STATUS_REFUSED = traffic.STATUS_REFUSED  # the pod refused or reset the connection (or nothing
# listens on the targetPort: the same TCP reset a real client meets)
STATUS_LOADING = 503  # the server is up but its model is not loaded yet
STATUS_UNAUTHORIZED = 401  # the model asks for a bearer token (MODEL_TOKEN) it did not get
STATUS_TIMEOUT = (
    traffic.STATUS_TIMEOUT
)  # no answer within CLIENT_TIMEOUT_S (overload, or the node is off)


class Outcome(NamedTuple):
    """One request's result, as TrafficRun.record takes it (a tuple: cheap to make)."""

    latency_s: float
    status: int
    version: str | None
    pod: str | None
    detail: str | None = None  # a gateway's own error answer ({"detail": ...}); else None

    @property
    def ok(self) -> bool:
        return self.status == 200


class ServedTime:
    """A request's time apart from queueing: its share of server work and its network hop.

    ``draw()`` returns ``(factor, hop_s)``: the server's work is the mean work times
    ``factor`` (log-normal, mean 1, spread ``sigma``); ``hop_s`` adds wait but no CPU.
    ``ServedTime.constant()`` (factor 1, no hop) keeps queueing arithmetic exact in tests.
    """

    def __init__(self, rng, sigma=SERVICE_SIGMA, hop_median_s=HOP_MEDIAN_S, hop_sigma=HOP_SIGMA):
        self._rng = rng
        self._mu, self._sigma = -(sigma**2) / 2, sigma  # mu = -sigma^2/2: mean factor 1
        self._hop_mu, self._hop_sigma = math.log(hop_median_s) if hop_median_s else 0.0, hop_sigma
        self._hop = hop_median_s > 0

    @classmethod
    def constant(cls) -> ServedTime:
        """The mean work for every request and no hop."""
        return cls(None, sigma=0.0, hop_median_s=0.0)

    def draw(self) -> tuple[float, float]:
        if self._rng is None:
            return 1.0, 0.0
        factor = self._rng.lognormvariate(self._mu, self._sigma)
        hop = self._rng.lognormvariate(self._hop_mu, self._hop_sigma) if self._hop else 0.0
        return factor, hop


class ProxyView:
    """kube-proxy's copy of one Service's endpoints, PROPAGATION_DELAY_S behind the real one.

    ``endpoints`` holds (pod, container port) pairs: where the Service's port leads on each.
    """

    def __init__(self, plane, service: str, namespace: str):
        self._plane = plane
        self._service, self._namespace = service, namespace
        self._key = f"{namespace}/{service}"
        self.endpoints: list[tuple[str, int]] = list(plane.backends(service, namespace))
        self._latest = tuple(self.endpoints)
        self._unsubscribe = plane.subscribe(self._on_change)

    def _on_change(self, change: dict) -> None:
        if change.get("kind") != "Service" or change.get("key") != self._key:
            return
        # Read at the change (under the cluster lock): a new targetPort changes the pairs
        # even when the pods stay the same.
        endpoints = (
            tuple(self._plane.backends(self._service, self._namespace)) if change.get("row") else ()
        )
        if endpoints != self._latest:
            self._latest = endpoints
            clock = self._plane.clock
            clock.call_at(clock.now + PROPAGATION_DELAY_S, self._apply, endpoints)

    def _apply(self, endpoints: tuple[tuple[str, int], ...]) -> None:
        self.endpoints = list(endpoints)


# Routers by cluster: they live exactly as long as their cluster does.
_ROUTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Router:
    """Routing and per-pod queues for one Service of one simulated cluster (shared by runs)."""

    @classmethod
    def of(cls, plane, service: str, namespace: str) -> Router:
        """The router of ``service`` (created on first use, then kept with the cluster)."""
        routers = _ROUTERS.setdefault(plane, {})
        key = (namespace, service)
        if key not in routers:
            plane.get("Service", service, namespace)  # NotFound names the missing Service
            routers[key] = cls(plane, service, namespace)
        return routers[key]

    def __init__(self, plane, service: str, namespace: str):
        self._plane = plane
        self.service, self.namespace = service, namespace
        self.view = ProxyView(plane, service, namespace)
        self._rng = plane.rng(f"traffic/{namespace}/{service}")
        self._served = plane.served_time(f"served/{namespace}/{service}")
        # Per pod: finish times of the requests it holds, oldest first. One request at a
        # time: the server is one uvicorn worker whose async /predict computes on the event
        # loop. No in-flight limit: uvicorn's --limit-concurrency is unset in the image, so
        # overload shows as a growing queue and then client timeouts (504), as it does live.
        self._queues: dict[str, deque[float]] = {}
        self._cfs: dict[str, tuple[int, float]] = {}  # pod -> (CFS period, CPU used in it)

    @property
    def plane(self):
        """The DataPlane this router reads (helpers.sim.dataplane)."""
        return self._plane

    def draw(self) -> tuple[float, float]:
        """One request's (work factor, network hop in s): ServedTime.draw of this Service."""
        return self._served.draw()

    def pick(self) -> tuple[str, int] | None:
        """A random (pod, port) from the proxy's view, or None when it has none."""
        endpoints = self.view.endpoints
        if not endpoints:
            return None
        return endpoints[int(self._rng.random() * len(endpoints))]

    def survived(self, pod: str) -> bool:
        """Whether ``pod``'s server is still there to finish a request (checked at its end).

        A draining server (SIGTERM, listener closed) still answers what it holds; a pod that
        is gone, whose container died, or whose node is off does not.
        """
        serving = self._plane.serving(pod, self.namespace)
        if serving is None or (serving.node and not self._plane.node_up(serving.node)):
            return False
        return serving.accepting or serving.terminating

    def why_refused(self, pod: str) -> str:
        """Why ``pod`` refused a connection, for people: a wrong port, or a server going away."""
        port = dict(self.view.endpoints).get(pod)
        serving = self._plane.serving(pod, self.namespace)
        if serving is not None and serving.accepting and port is not None and port != serving.port:
            return (
                f"nothing listens on port {port} there (the Service's targetPort); its "
                f"server listens on {serving.port}"
            )
        return "it is shutting down or gone"

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

    def send(self, t: float, n_rows: int = 1, token: str = "", forwarded: bool = False) -> Outcome:
        """Route one request sent at ``t`` on a new connection and work out its answer
        (``token``: the bearer token it carries, "" for none; ``forwarded``: sent by a
        gateway)."""
        return self.send_on(self.pick(), t, n_rows, token, forwarded)

    def connection_open(self, conn: tuple[str, int]) -> bool:
        """Whether a kept-alive connection to ``conn`` (pod, port) still carries requests.

        kube-proxy chose the pod when the connection opened (conntrack keeps it there, even
        after the pod left the endpoints); the server keeps it until SIGTERM, when uvicorn
        closes its listener and its idle connections, and a pod that is gone reset it. A
        client finds a closed pooled connection before reusing it and opens a new one.
        """
        serving = self._plane.serving(conn[0], self.namespace)
        return serving is not None and serving.accepting and conn[1] == serving.port

    def send_on(
        self,
        conn: tuple[str, int] | None,
        t: float,
        n_rows: int = 1,
        token: str = "",
        forwarded: bool = False,
    ) -> Outcome:
        """Send one request at ``t`` on a connection to ``conn`` (pod, port); None: no endpoint.

        A model whose MODEL_TOKEN is set answers 401 to a request without that bearer
        token (before anything else, as cluster/model's server checks it first); a gateway
        pod forwards the request (helpers.sim.gateway). A gateway that a gateway forwarded
        to forwards again, and again, until the first one's timeout: that loop is answered
        at once as the client's timeout, which the first gateway turns into its 504."""
        if conn is None:
            return Outcome(FAST_FAIL_S, STATUS_NO_ENDPOINT, None, None)
        pod, port = conn
        serving = self._plane.serving(pod, self.namespace)
        if serving is None or not serving.accepting or port != serving.port:
            if serving is not None and serving.node and not self._plane.node_up(serving.node):
                # A machine that is off answers nothing (no reset): the client times out.
                return Outcome(CLIENT_TIMEOUT_S, STATUS_TIMEOUT, None, pod)
            return Outcome(FAST_FAIL_S, STATUS_REFUSED, None, pod)
        if serving.app == GATEWAY and forwarded:
            return Outcome(CLIENT_TIMEOUT_S, STATUS_TIMEOUT, None, None)
        if serving.app == GATEWAY:
            return Outcome(*gateway.forward(self, pod, serving, t, n_rows, CLIENT_TIMEOUT_S))
        if serving.token and token != serving.token:
            return Outcome(FAST_FAIL_S, STATUS_UNAUTHORIZED, None, pod)
        if not serving.model_loaded:
            return Outcome(FAST_FAIL_S, STATUS_LOADING, None, pod)
        factor, hop = self._served.draw()
        work = (BASE_SERVICE_S + ROW_SERVICE_S * n_rows) * factor
        finish = self.work(pod, serving, t, work)
        # The fault's delay is an await in the handler: it adds latency, not CPU.
        latency = finish - t + hop + serving.extra_latency_ms / 1000.0
        if latency > CLIENT_TIMEOUT_S:
            return Outcome(CLIENT_TIMEOUT_S, STATUS_TIMEOUT, None, pod)
        return Outcome(latency, 200, serving.version, pod)

    def work(self, pod: str, serving, t: float, work: float) -> float:
        """When ``work`` CPU-seconds arriving at ``pod`` at ``t`` are done: after the work it
        already holds (one request at a time), under its CPU limit; the CPU is counted."""
        queue = self._queues.setdefault(pod, deque())
        while queue and queue[0] <= t:
            queue.popleft()
        start = queue[-1] if queue else t
        if serving.cpu_limit:
            finish = self._throttled(pod, start, work, serving.cpu_limit)
        else:
            finish = start + work
        queue.append(finish)
        self._plane.metrics.add_busy(pod, self.namespace, start, work)
        return finish
