"""Requests to a simulated Service: ``ServiceClient`` and the load run ``SimTrafficRun``.

Each request is routed by the Service's ``Router`` (routing.py: kube-proxy's lagging
view, per-pod queues) and answered by the chosen pod; ``predict`` then runs that pod's
real model. Every request is an event on the cluster clock, so runs are deterministic
per seed and cost microseconds.
"""

from __future__ import annotations

import heapq
from functools import lru_cache

from helpers.core.traffic import ANSWERED_HINT, STATUS_NOT_SENT, Schedule, TrafficRun
from helpers.errors import LabError, ServiceUnavailable
from helpers.sim.routing import (
    CLIENT_TIMEOUT_S,
    STATUS_LOADING,
    STATUS_NO_ENDPOINT,
    STATUS_REFUSED,
    STATUS_TIMEOUT,
    Router,
)

# A request held longer than this (queued, or a fault's delay) is checked again when it
# ends: if the server died meanwhile, its connection was reset. Shorter ones are not (a
# process dying within a few milliseconds of a request is rare, and checks cost events).
LONG_REQUEST_S = 0.05

# 256: the client's cap on outstanding requests, as the kube backend's driver has it; a
# request due while 256 are outstanding is not sent and fails at once (status 0).
MAX_IN_FLIGHT = 256

STATUS_CLIENT_BUSY = STATUS_NOT_SENT  # the client had MAX_IN_FLIGHT requests outstanding: not sent


@lru_cache(maxsize=8)
def model(version: str):
    """The real model of an image version, built on first use and cached."""
    from orchestra_model import artifacts

    try:
        return artifacts.load(version)
    except artifacts.ArtifactError:
        artifacts.ensure(version)  # first use on this machine: train and write it
        return artifacts.load(version)


class ServiceClient:
    """A client of one simulated Service: ``predict`` runs the serving pod's real model.

    Example:
        >>> svc = cluster.service("model")
        >>> svc.predict(orchestra_model.data.sample_rows(2))
        {'predictions': [3, 8], 'version': 'v1', 'pod': 'model-6d4b9c7f5-x2k9p'}
    """

    def __init__(self, plane, service: str, namespace: str = "default"):
        self._plane = plane
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
        with self._plane.lock:
            router = Router.of(self._plane, self.service, self.namespace)
            outcome = router.send(self._plane.now(), len(rows))
        ref = f"service/{self.service}"
        if outcome.detail is not None:  # the gateway's own answer: its body's detail
            raise ServiceUnavailable(
                f"{ref} answered {outcome.status}: {outcome.detail}",
                outcome.status,
                ANSWERED_HINT,
            )
        if outcome.status == STATUS_NO_ENDPOINT:
            raise ServiceUnavailable(
                f"{ref} has no ready endpoints: no pod matching its selector is Ready.",
                outcome.status,
                "Look at cluster.pods() and cluster.events(): are the pods Running and Ready?",
            )
        if outcome.status == STATUS_REFUSED:
            with self._plane.lock:
                why = router.why_refused(outcome.pod)
            hint = (
                "Try again; a preStop sleep and readiness probes avoid this during rollouts."
                if why.endswith("gone")
                else f"Set the Service's targetPort to the container's port; "
                f'cluster.get("endpoints", "{self.service}") shows where it sends.'
            )
            raise ServiceUnavailable(
                f"{ref} sent the request to pod {outcome.pod}, which refused the connection "
                f"({why}).",
                outcome.status,
                hint,
            )
        if outcome.status == STATUS_LOADING:
            raise ServiceUnavailable(
                f"pod {outcome.pod} answered 503: its model is still loading.",
                outcome.status,
                "Wait a few seconds; a readinessProbe on /readyz keeps such pods out of the "
                "Service until they can answer.",
            )
        if outcome.status == STATUS_TIMEOUT:
            raise ServiceUnavailable(
                f"pod {outcome.pod} did not answer within {CLIENT_TIMEOUT_S:g} s (overloaded).",
                outcome.status,
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

    def __init__(
        self, plane, service: str, namespace: str, schedule: Schedule, rows=None, keep_alive=False
    ):
        super().__init__(service, schedule)
        # keep_alive: one client that reuses its connections (a pool, oldest idle first), so
        # each connection stays on the pod kube-proxy chose when it opened. Otherwise every
        # request is an independent user on a connection of its own (curl in a loop).
        self._conns: list[list] | None = [] if keep_alive else None
        self._plane = plane
        self._n_rows = len(_check_rows(rows)) if rows is not None else 1
        with plane.lock:
            self._router = Router.of(plane, service, namespace)
        self._next = 0
        self._limit = schedule.limit
        self._handle = None
        self._outstanding: list[float] = []  # when each request in flight ends (a heap)

    def _now(self) -> float:
        return self._plane.now()

    def _begin(self) -> None:
        with self._plane.lock:
            if self._handle is None and not self._stopped and self.schedule.limit > 0:
                t = self.schedule.time_of(0)
                self._handle = self._plane.clock.call_at(t, self._fire)

    def _send_kept_alive(self, t: float):
        """Send on the oldest idle pooled connection that is still open, else a new one."""
        router, conns = self._router, self._conns
        conn = None
        for c in list(conns):  # c: [(pod, port), busy until]
            if c[1] > t:
                continue  # carrying a request: HTTP/1.1 sends one at a time per connection
            if router.connection_open(c[0]):
                conn = c
                break
            conns.remove(c)  # closed by the server: dropped from the pool unused
        if conn is None:
            picked = router.pick()
            if picked is None:
                return router.send_on(None, t, self._n_rows)
            conn = [picked, t]
            conns.append(conn)
        outcome = router.send_on(conn[0], t, self._n_rows)
        if outcome.status == 200:
            conn[1] = t + outcome.latency_s
        else:
            conns.remove(conn)  # a refused, reset or timed-out connection is closed
        return outcome

    def _end(self) -> None:
        with self._plane.lock:
            self._plane.clock.cancel(self._handle)
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
            if self._conns is None:
                latency, status, version, pod, _ = self._router.send(t, self._n_rows)
            else:
                latency, status, version, pod, _ = self._send_kept_alive(t)
            heapq.heappush(outstanding, t + latency)
            if status == 200 and latency > LONG_REQUEST_S:
                with self._lock:
                    row = len(self._rows)
                self._plane.clock.call_at(t + latency, self._check, row, pod)
            self.record(t, latency * 1000.0, status == 200, status, version, pod)
        self._next += 1
        if self._next < self._limit:
            t_next = schedule.start + self._next / schedule.rps
            self._handle = self._plane.clock.call_at(t_next, self._fire)
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
