"""The internal hooks other simulator modules use (traffic, metrics, HPA, controllers).

Their names and meanings are fixed by the seam between the simulator's modules: ``clock``,
``endpoints``, ``serving``, ``record_event``, ``set_status``, ``rng``, ``metrics``.
"""

from __future__ import annotations

import random

from helpers.sim.server import Serving
from helpers.sim.topology import image_key


class Hooks:
    """Mixin of SimCluster: the hooks, all to be called under the cluster lock."""

    def rng(self, stream: str) -> random.Random:
        """A deterministic RNG per named stream, derived from the seed."""
        if stream not in self._rngs:
            self._rngs[stream] = random.Random(f"{self.seed}:{stream}")
        return self._rngs[stream]

    def record_event(
        self, obj_ref: str, type_: str, reason: str, message: str, namespace: str | None = "default"
    ) -> None:
        """Add an Event (obj_ref like "deployment/model") and tell subscribers."""
        now = self.clock.now
        self.event_log.add(now, type_, obj_ref, reason, message, namespace)
        if self.store.subscribers:
            row = {
                "time": now,
                "type": type_,
                "object": obj_ref,
                "reason": reason,
                "message": message,
            }
            key = f"{namespace or 'default'}/{obj_ref}"
            self.store.publish({"kind": "Event", "type": "ADDED", "key": key, "row": row})

    def set_status(self, kind: str, name: str, namespace: str, status: dict) -> None:
        """Replace an object's status (bumps resourceVersion, tells subscribers)."""
        obj = self._find(kind, name, namespace)
        obj.status = status
        self.store.changed(obj)

    def endpoints(self, service: str, namespace: str = "default") -> list[str]:
        """Names of the pods listed as ready endpoints of a Service, sorted."""
        return self.endpoints_ctl.endpoints(self._find("Service", service, namespace))

    def serving(self, pod: str, namespace: str = "default") -> Serving | None:
        """What a connection to ``pod`` meets now; None if the pod is gone."""
        obj = self.store.find("Pod", pod, namespace)
        if obj is None:
            return None
        now = self.clock.now
        up = obj.node is not None and self.node_up(obj.node)
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
            )
        return server.serving(now, obj.plan, obj.node, obj.terminating)

    @property
    def metrics(self):
        """Per-pod CPU metrics (helpers.sim.metrics.Metrics), made on first use."""
        if self._metrics is None:
            from helpers.sim.metrics import Metrics

            self._metrics = Metrics(self)
        return self._metrics

    def node_up(self, name: str | None) -> bool:
        """Whether the node's kubelet runs."""
        node = self.store.objects["Node"].get((None, name))
        return node is not None and node.up

    def image_exists(self, image: str) -> bool:
        """Whether a pull of ``image`` succeeds (only the course images exist)."""
        return image_key(image) in self._images
