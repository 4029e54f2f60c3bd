"""The data plane of a simulated cluster: what requests to Services meet.

Routing (kube-proxy's view of each Service's endpoints), the pods' serving processes and
the machines they run on, and the resource metrics their work produces. ``Router``,
``ServiceClient``, ``SimTrafficRun``, ``Metrics`` and the HPA read the cluster through
this one object, never through SimCluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from helpers.sim.routing import ServedTime
from helpers.sim.rows import make_row
from helpers.sim.server import Serving

if TYPE_CHECKING:
    from helpers.sim.context import Context


class DataPlane:
    """Endpoints, serving processes, node power and metrics of one simulated cluster.

    Args:
        ctx: the Context (store, clock, api, rng); ``ctx.api.lock`` is the cluster lock,
            which traffic takes around each request it sends.
        endpoints: the EndpointsController (ready endpoints per Service).
        kubelet: the Kubelet (which nodes run; the pods' server processes).

    Example:
        >>> plane.endpoints("model")
        ['model-6d4b9c7f5-x2k9p', ...]
    """

    def __init__(self, ctx: Context, endpoints, kubelet):
        self.clock, self.lock = ctx.clock, ctx.api.lock
        self.rng = ctx.rng
        self._store, self._api = ctx.store, ctx.api
        self._endpoints, self._kubelet = endpoints, kubelet
        self._metrics = None

    def now(self) -> float:
        """Seconds on the cluster clock."""
        return self.clock.now

    def served_time(self, stream: str):
        """The served-time distribution of one Service's requests (its own seeded stream,
        so the endpoint picks do not depend on it)."""
        return ServedTime(self.rng(stream))

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """An object as JSON (NotFound if absent)."""
        return self._api.get(kind, name, namespace)

    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call ``callback(change)`` on every change record; returns unsubscribe."""
        subscribers = self._store.subscribers
        with self.lock:
            subscribers.append(callback)

        def unsubscribe() -> None:
            with self.lock:
                if callback in subscribers:
                    subscribers.remove(callback)

        return unsubscribe

    def pod_rows(self) -> list[dict[str, Any]]:
        """Every pod as a PodRow (helpers.core.state)."""
        with self.lock:
            store = self._store
            return [make_row(p, store, self._endpoints) for p in store.of_kind("Pod")]

    def endpoints(self, service: str, namespace: str = "default") -> list[str]:
        """Names of the pods listed as ready endpoints of a Service, sorted."""
        return self._endpoints.endpoints(self._api.find("Service", service, namespace))

    def backends(self, service: str, namespace: str = "default") -> list[tuple[str, int]]:
        """(pod, container port) kube-proxy may send the Service's first port to, by pod."""
        return self._endpoints.backends(self._api.find("Service", service, namespace))

    def node_up(self, name: str | None) -> bool:
        """Whether the node's kubelet runs."""
        return self._kubelet.node_up(name)

    def serving(self, pod: str, namespace: str = "default") -> Serving | None:
        """What a connection to ``pod`` meets now; None if the pod is gone."""
        obj = self._store.find("Pod", pod, namespace)
        if obj is None:
            return None
        now = self.clock.now
        up = obj.node is not None and self._kubelet.node_up(obj.node)
        server = obj.server
        if server is None or not up:
            plan = obj.plan
            return Serving(
                False,
                False,
                plan.version,
                plan.faults.latency_ms,
                plan.cpu_request,
                plan.cpu_limit,
                obj.node or "",
                obj.terminating,
                plan.listen_port,
                plan.program.app,
            )
        return server.serving(now, obj.plan, obj.node, obj.terminating)

    def client(self, service: str, namespace: str = "default"):
        """A ServiceClient of ``service`` (helpers.sim.traffic); NotFound if it is absent."""
        with self.lock:
            self._api.find("Service", service, namespace)
        from helpers.sim.traffic import ServiceClient

        return ServiceClient(self, service, namespace)

    def load(
        self, service: str, namespace: str, rps, duration, max_requests, rows, keep_alive=False
    ):
        """An open-loop SimTrafficRun on ``service`` starting now."""
        from helpers.core.traffic import Schedule

        with self.lock:
            self._api.find("Service", service, namespace)
        from helpers.sim.traffic import SimTrafficRun

        schedule = Schedule(rps, start=self.now(), duration=duration, max_requests=max_requests)
        return SimTrafficRun(self, service, namespace, schedule, rows=rows, keep_alive=keep_alive)

    @property
    def metrics(self):
        """Per-pod CPU metrics (helpers.sim.metrics.Metrics), made on first use."""
        if self._metrics is None:
            from helpers.sim.metrics import WINDOW_S, Metrics

            # metrics-server's scrapes keep their own beat, drawn once from the seed.
            phase = self.rng("metrics-server").random() * WINDOW_S
            self._metrics = Metrics(self, phase=phase)
        return self._metrics
