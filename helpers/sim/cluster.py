"""SimCluster: the embedded simulated Kubernetes cluster behind the shared Cluster API.

Default topology as the course's kind cluster: ``orchestra-control-plane`` (tainted
NoSchedule) plus workers ``orchestra-worker``, ``orchestra-worker2``, ... Time is virtual by
default (``sleep`` and ``wait`` jump the clock from one scheduled change to the next, so
runs are instant and a seed fixes every name, event and traffic result); ``realtime=True``
moves the clock with the wall clock times ``speed`` on a background thread.

Example:
    >>> cluster = SimCluster(seed=0)
    >>> cluster.apply("cluster/manifests/")
    >>> cluster.wait_rollout("model")
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from helpers.core.api import Cluster
from helpers.core.state import RECENT_EVENTS
from helpers.errors import LabError, LabTimeout, UnsupportedOnBackend
from helpers.sim.apiserver import ApiServer
from helpers.sim.clock import Clock, RealtimeDriver, paused_gc
from helpers.sim.deployments import DeploymentController
from helpers.sim.events import EventLog
from helpers.sim.hooks import Hooks
from helpers.sim.kubelet import Kubelet
from helpers.sim.lifecycle import Lifecycle
from helpers.sim.nodes import GRACE_S, NodeLifecycle
from helpers.sim.prober import Prober
from helpers.sim.replicasets import ReplicaSetController
from helpers.sim.rows import make_row
from helpers.sim.scheduler import Scheduler
from helpers.sim.services import EndpointsController, eviction_allowed
from helpers.sim.store import Store
from helpers.sim.topology import IMAGES, build_nodes, image_key, set_cordon


class SimCluster(Hooks, Lifecycle, ApiServer, Cluster):
    """The simulated cluster "orchestra" (see the module docstring).

    Args:
        seed: fixes pod names, routing and every other random choice.
        realtime: tie the clock to the wall clock (a background thread) instead of virtual time.
        workers: number of worker nodes.
        speed: virtual seconds per wall second in realtime mode.
        node_cpu, node_memory: allocatable per node (cores; bytes or a quantity string).
        node_monitor_grace_period: seconds before a silent node is marked Unknown.
    """

    backend = "sim"
    name = "orchestra"

    def __init__(
        self,
        seed: int = 0,
        realtime: bool = False,
        workers: int = 2,
        speed: float = 1.0,
        node_cpu: float = 2.0,
        node_memory: float | str = "4Gi",
        node_monitor_grace_period: float = GRACE_S,
        images: tuple[str, ...] = IMAGES,
    ):
        if not isinstance(workers, int) or workers < 1:
            raise LabError(
                f"workers must be a whole number >= 1, not {workers!r}.",
                'Try helpers.connect("sim", workers=2).',
            )
        self.seed = seed
        self.realtime = realtime
        self._lock = threading.RLock()
        # The one lock: in realtime the clock's thread runs controllers and traffic under it.
        self.lock = self._lock
        self._cond = threading.Condition(self._lock)
        self.clock = Clock()
        self.store = self._make_store()
        self.event_log = EventLog()
        self._rngs: dict[str, random.Random] = {}
        self._templates: dict[str, tuple] = {}
        self._ip_next: dict[str, int] = {}
        self._cluster_ips = 10  # last Service IP handed out (10.96.0.10 is kube-dns on kind)
        self._images = {image_key(i) for i in images}
        self.scheduler = Scheduler(self)
        self.kubelet = Kubelet(self)
        self.prober = Prober(self)
        self.node_lifecycle = NodeLifecycle(self, node_monitor_grace_period)
        self.replicasets = ReplicaSetController(self)
        self.deployments = DeploymentController(self)
        self.endpoints_ctl = EndpointsController(self)
        build_nodes(self, workers, node_cpu, node_memory)
        self._metrics = None
        self._hpa = self._start_hpa()
        self._driver = None
        if realtime:
            self._driver = RealtimeDriver(
                self.clock, self._lock, float(speed), self._cond.notify_all
            )
            self._driver.start()

    def _make_store(self) -> Store:
        return Store(self.clock, lambda obj: make_row(obj, self))

    def _start_hpa(self):
        try:
            from helpers.sim.hpa import HPAController
        except ImportError:
            return None
        return HPAController(self)

    set_cordon = set_cordon

    # ---- primitives of the Cluster interface -------------------------------------------------
    def evict(self, pod: str, namespace: str = "default") -> bool:
        """Evict through the Eviction API: False when a PodDisruptionBudget refuses (HTTP 429)."""
        with self._lock:
            obj = self._find("Pod", pod, namespace)
            if obj.terminating:
                return True
            if not eviction_allowed(self, obj):
                return False
            self.delete_pod_object(obj)
            self._settle()
            return True

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain rows (helpers.core.state), ``simulated: True``."""
        with self._lock:
            s = self.store
            return {
                "backend": "sim",
                "simulated": True,
                "cluster": self.name,
                "time": self.clock.now,
                "nodes": [make_row(n, self) for n in s.of_kind("Node")],
                "pods": [make_row(p, self) for p in s.of_kind("Pod")],
                "deployments": [make_row(d, self) for d in s.of_kind("Deployment")],
                "services": [make_row(v, self) for v in s.of_kind("Service")],
                "events": self.event_log.recent(RECENT_EVENTS),
            }

    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call ``callback(change)`` on every change (under the cluster lock); returns unsubscribe."""
        with self._lock:
            self.store.subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self.store.subscribers:
                    self.store.subscribers.remove(callback)

        return unsubscribe

    def event_rows(self) -> list[dict[str, Any]]:
        """Every event still held (1 h), oldest first."""
        with self._lock:
            return self.event_log.rows()

    def now(self) -> float:
        """Seconds on the cluster clock."""
        return self.clock.now

    def _settle(self) -> None:
        """Let controllers react to a write at the current instant (as they do within ms)."""
        self.clock.run_until(self.clock.now)

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass: instantly in virtual time, really (/ speed) in realtime."""
        if seconds < 0:
            raise LabError(f"sleep needs seconds >= 0, not {seconds!r}.")
        if self._driver is not None:
            time.sleep(seconds / self._driver.speed)
            return
        with self._lock, paused_gc():
            self.clock.run_until(self.clock.now + seconds)

    def wait(self, predicate: Callable[[Cluster], bool], timeout: float, what: str) -> None:
        """Return once ``predicate(cluster)`` holds; LabTimeout naming ``what`` past ``timeout``."""
        with self._lock:
            deadline = self.clock.now + timeout
            if self._driver is not None:
                return self._wait_realtime(predicate, deadline, timeout, what)
            with paused_gc():
                return self._wait_virtual(predicate, deadline, timeout, what)

    def _wait_virtual(self, predicate, deadline, timeout, what) -> None:
        # The predicate is re-checked only after a change (store.version moved), so traffic
        # and silent probe ticks cost nothing; a time-only predicate is checked at the end.
        seen = -1
        while True:
            if self.store.version != seen:
                seen = self.store.version
                if predicate(self):
                    return
            if not self.clock.run_next(deadline):
                self.clock.run_until(deadline)
                if predicate(self):
                    return
                raise LabTimeout(
                    f"Timed out after {timeout:g} s (cluster time) waiting for {what}."
                )

    def _wait_realtime(self, predicate, deadline, timeout, what) -> None:
        while not predicate(self):
            if self.clock.now >= deadline:
                raise LabTimeout(
                    f"Timed out after {timeout:g} s (cluster time) waiting for {what}."
                )
            self._cond.wait(timeout=0.05)
        return None

    def stop_node(self, node: str) -> None:
        """A worker goes dark: its kubelet stops; after the grace period it is marked Unknown."""
        with self._lock:
            obj = self._find("Node", node, None)
            if obj.role != "worker":
                raise UnsupportedOnBackend(
                    f"{node} is the control plane; only workers can be stopped.",
                    "Pick a worker from cluster.nodes().",
                )
            if not obj.up:
                return
            obj.up, obj.stopped_at = False, self.clock.now
            for pod in list(obj.pods.values()):
                self.kubelet.node_stopped(pod)
            self.node_lifecycle.stopped(obj)

    def start_node(self, node: str) -> None:
        """A stopped worker comes back: Ready again, taints lifted, its pods restarted."""
        with self._lock:
            obj = self._find("Node", node, None)
            if obj.up:
                return
            obj.up, obj.stopped_at = True, None
            self.node_lifecycle.started(obj)
            self.scheduler.node_changed(obj)
            self._settle()

    def service(self, name: str, namespace: str = "default"):
        """A client of a Service: ``.predict(rows)`` answers with the serving pod's model."""
        with self._lock:
            self._find("Service", name, namespace)
        from helpers.sim.traffic import ServiceClient

        return ServiceClient(self, name, namespace)

    def traffic(
        self,
        service: str,
        rps: float = 50,
        duration: float | None = None,
        namespace: str = "default",
        max_requests: int | None = None,
        rows=None,
        **kwargs,
    ):
        """Open-loop load on a Service, driven by the cluster clock (use it in a with-block)."""
        if kwargs:
            raise LabError(
                f"traffic() got unexpected options {sorted(kwargs)}.",
                "Use rps=, duration=, max_requests= or rows=.",
            )
        from helpers.core.traffic import Schedule

        with self._lock:
            self._find("Service", service, namespace)
        from helpers.sim.traffic import SimTrafficRun

        schedule = Schedule(rps, start=self.now(), duration=duration, max_requests=max_requests)
        return SimTrafficRun(self, service, namespace, schedule, rows=rows)

    def close(self) -> None:
        """Stop the realtime thread (safe to call twice)."""
        if self._driver is not None:
            self._driver.stop()

    def __repr__(self) -> str:
        mode = f"realtime x{self._driver.speed:g}" if self._driver else "virtual time"
        workers = sum(1 for n in self.store.of_kind("Node") if n.role == "worker")
        return f"<SimCluster {self.name!r}: simulated cluster, {workers} workers, {mode}, t={self.clock.now:.1f}s>"


__all__ = ["SimCluster"]
