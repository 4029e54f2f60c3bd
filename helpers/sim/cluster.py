"""SimCluster: the embedded simulated Kubernetes cluster behind the shared Cluster API.

Default topology as the course's kind cluster: ``orchestra-control-plane`` (tainted
NoSchedule) plus workers ``orchestra-worker``, ``orchestra-worker2``, ... Time is virtual by
default (``sleep`` and ``wait`` jump the clock from one scheduled change to the next, so
runs are instant and a seed fixes every name, event and traffic result); ``realtime=True``
moves the clock with the wall clock times ``speed`` on a background thread, and waits
still return at the cluster time they would in virtual time (helpers.sim.realtime).

Example:
    >>> cluster = SimCluster(seed=0)
    >>> cluster.apply("cluster/manifests/")
    >>> cluster.wait_rollout("model")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from helpers.core.api import Cluster
from helpers.core.state import RECENT_EVENTS
from helpers.errors import LabError, LabTimeout, UnsupportedOnBackend
from helpers.sim.apiserver import SimApiServer
from helpers.sim.clock import Clock, iso, paused_gc, wait_virtual
from helpers.sim.context import Context, RandomStreams
from helpers.sim.dataplane import DataPlane
from helpers.sim.deployments import DeploymentController
from helpers.sim.events import EventRecorder
from helpers.sim.kubelet import Kubelet
from helpers.sim.nodes import GRACE_S, NodeLifecycle
from helpers.sim.realtime import RealtimeDriver, wait_realtime
from helpers.sim.replicasets import ReplicaSetController
from helpers.sim.rows import make_row, pods_owned_by, snapshot
from helpers.sim.scheduler import Scheduler
from helpers.sim.services import EndpointsController
from helpers.sim.store import Store
from helpers.sim.topology import IMAGES, build_nodes, image_key


class SimCluster(Cluster):
    """The simulated cluster "orchestra" (see the module docstring).

    The composition root: it builds the clock, the store, the API server and the
    components, each from a ``Context`` (helpers.sim.context), and implements the shared
    Cluster interface by delegating to the API server (``self.api``).

    Args:
        seed: fixes pod names, routing and every other random choice.
        realtime: tie the clock to the wall clock (a background thread) instead of virtual time.
        workers: number of worker nodes.
        speed: virtual seconds per wall second in realtime mode.
        node_cpu, node_memory: allocatable per node (cores; bytes or a quantity string).
        node_monitor_grace_period: seconds before a silent node is marked Unknown.
        images: the images loaded into the nodes (anything else fails to pull).
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
        # The one lock: in realtime the clock's thread runs controllers and traffic under it.
        self.lock = threading.RLock()
        self._cond = threading.Condition(self.lock)
        self.clock = Clock()
        self.store = Store(self.clock)
        self.recorder = EventRecorder(self.clock, self.store)
        rng = RandomStreams(seed)
        self.api = SimApiServer(self.store, self.clock, self.lock, self.recorder, rng)
        ctx = Context(self.store, self.clock, self.api, self.recorder, rng)
        # Built in this order: the store runs watches in the order they were registered.
        self.scheduler = Scheduler(ctx)
        self.kubelet = Kubelet(ctx, {image_key(i) for i in images})
        self.node_lifecycle = NodeLifecycle(ctx, self.kubelet, node_monitor_grace_period)
        self.replicasets = ReplicaSetController(ctx)
        self.deployments = DeploymentController(ctx)
        self.endpoints_ctl = EndpointsController(ctx)
        self.api.connect(self.scheduler, self.kubelet, self.replicasets, self.endpoints_ctl)
        self.store.make_row = partial(make_row, store=self.store, endpoints=self.endpoints_ctl)
        build_nodes(self.api, self.scheduler, workers, node_cpu, node_memory)
        self.dataplane = DataPlane(ctx, self.endpoints_ctl, self.kubelet)
        self._hpa = self._start_hpa(ctx)
        self._driver = None
        if realtime:
            self._driver = RealtimeDriver(
                self.clock, self.lock, speed, self._cond.notify_all, lambda: self.store.version
            )
            self._driver.start()

    def _start_hpa(self, ctx: Context):
        try:
            from helpers.sim.hpa import HPAController
        except ImportError:
            return None
        return HPAController(ctx, self.dataplane)

    @property
    def event_log(self):
        """The Events held (helpers.sim.events.EventLog)."""
        return self.recorder.log

    # ---- verbs: the API server's --------------------------------------------------------------
    def apply(self, source, namespace: str = "default") -> list[str]:
        """Create or update every object in ``source``; returns ``["deployment/model", ...]``.

        Example:
            >>> cluster.apply("cluster/manifests/model-deployment.yaml")
            ['deployment/model']
        """
        return self.api.apply(source, namespace)

    def dry_run_apply(self, source, namespace: str = "default") -> list[tuple[dict | None, dict]]:
        """(live or None, as apply would leave it) per object: the API server's dry run."""
        return self.api.dry_run_apply(source, namespace)

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """The object as Kubernetes JSON, status included; NotFound if absent."""
        return self.api.get(kind, name, namespace)

    def list_objects(
        self, kind: str, namespace: str | None = "default", selector=None
    ) -> list[dict[str, Any]]:
        """Objects of a kind as Kubernetes JSON (namespace None: all namespaces)."""
        return self.api.list_objects(kind, namespace, selector)

    def patch(self, kind: str, name: str, patch: dict, namespace: str = "default") -> dict:
        """Merge ``patch`` into the object (JSON merge patch: dicts merge, lists replace)."""
        return self.api.patch(kind, name, patch, namespace)

    def delete(self, kind: str, name: str, namespace: str = "default") -> None:
        """Delete an object; pods terminate gracefully, owners cascade in the background."""
        self.api.delete(kind, name, namespace)

    def evict(self, pod: str, namespace: str = "default") -> bool:
        """Evict through the Eviction API: False when a PodDisruptionBudget refuses (HTTP 429)."""
        return self.api.evict(pod, namespace)

    # ---- the data plane ----------------------------------------------------------------------
    def endpoints(self, service: str, namespace: str = "default") -> list[str]:
        """Names of the pods listed as ready endpoints of a Service, sorted."""
        return self.dataplane.endpoints(service, namespace)

    def serving(self, pod: str, namespace: str = "default"):
        """What a connection to ``pod`` meets now (helpers.sim.Serving); None if it is gone."""
        return self.dataplane.serving(pod, namespace)

    # ---- primitives of the Cluster interface -------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything as plain rows (helpers.core.state), ``simulated: True``."""
        with self.lock:
            events = self.recorder.log.recent(RECENT_EVENTS)
            return snapshot(self.store, self.endpoints_ctl, self.name, self.clock.now, events)

    def deployment_pods(self, deployment: str, namespace: str = "default") -> list[dict[str, Any]]:
        """Rows of the pods whose owner is ``deployment``, read through the owner index."""
        with self.lock:
            pods = pods_owned_by(self.store, deployment, namespace)
            return [make_row(p, self.store, self.endpoints_ctl) for p in pods]

    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call ``callback(change)`` on every change (under the cluster lock); returns unsubscribe."""
        return self.dataplane.subscribe(callback)

    def event_rows(self) -> list[dict[str, Any]]:
        """Every event still held (1 h), oldest first."""
        with self.lock:
            return self.recorder.log.rows()

    def now(self) -> float:
        """Seconds on the cluster clock."""
        return self.clock.now

    def timestamp(self) -> str:
        """The cluster clock's time now, as the API server writes it (RFC 3339)."""
        return iso(self.clock.now)

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass: instantly in virtual time, ``seconds / speed`` in realtime.

        Either way it returns with the clock at exactly ``now + seconds``.
        """
        if seconds < 0:
            raise LabError(f"sleep needs seconds >= 0, not {seconds!r}.")
        with self.lock:
            deadline = self.clock.now + seconds
            if self._driver is not None:
                wait_realtime(self._driver, self._cond, None, deadline)
                return
            with paused_gc():
                self.clock.run_until(deadline)

    def wait(self, predicate: Callable[[Cluster], bool], timeout: float, what: str) -> None:
        """Return once ``predicate(cluster)`` holds; LabTimeout naming ``what`` past ``timeout``.

        The predicate is checked after every change, so the wait returns at the cluster time
        the condition first holds (in realtime too: the clock waits for this thread).
        """
        with self.lock:
            deadline = self.clock.now + timeout
            if self._driver is not None:
                held = wait_realtime(self._driver, self._cond, lambda: predicate(self), deadline)
            else:
                with paused_gc():
                    held = wait_virtual(self.clock, self.store, lambda: predicate(self), deadline)
            if not held:
                raise LabTimeout(
                    f"Timed out after {timeout:g} s (cluster time) waiting for {what}."
                )

    def stop_node(self, node: str) -> None:
        """A worker goes dark: its kubelet stops; after the grace period it is marked Unknown."""
        with self.lock:
            obj = self.api.find("Node", node, None)
            if obj.role != "worker":
                raise UnsupportedOnBackend(
                    f"{node} is the control plane; only workers can be stopped.",
                    "Pick a worker from cluster.nodes().",
                )
            if not obj.up:
                return
            self.kubelet.power_off(obj, self.clock.now)
            self.node_lifecycle.stopped(obj)

    def start_node(self, node: str) -> None:
        """A stopped worker comes back: Ready again, taints lifted, its pods restarted."""
        with self.lock:
            obj = self.api.find("Node", node, None)
            if obj.up:
                return
            self.kubelet.power_on(obj)
            self.node_lifecycle.started(obj)
            self.scheduler.node_changed(obj)

    def service(self, name: str, namespace: str = "default"):
        """A client of a Service: ``.predict(rows)`` answers with the serving pod's model."""
        return self.dataplane.client(name, namespace)

    def traffic(
        self,
        service: str,
        rps: float = 50,
        duration: float | None = None,
        namespace: str = "default",
        max_requests: int | None = None,
        rows=None,
        keep_alive: bool = False,
        **kwargs,
    ):
        """Open-loop load on a Service, driven by the cluster clock (use it in a with-block).

        Each request is an independent user's connection, unless ``keep_alive``: then one
        client reuses its connections, and each stays on the pod chosen when it opened.
        """
        if kwargs:
            raise LabError(
                f"traffic() got unexpected options {sorted(kwargs)}.",
                "Use rps=, duration=, max_requests=, rows= or keep_alive=.",
            )
        return self.dataplane.load(
            service, namespace, rps, duration, max_requests, rows, keep_alive
        )

    def serve_api(self, kubeconfig=None, port: int = 0):
        """Serve the Kubernetes API on https://127.0.0.1 so real kubectl works on this cluster.

        Writes a kubeconfig (context ``orchestra-sim``, mode 0600) to ``kubeconfig``; returns
        a handle with ``.url`` and ``.close()``. In virtual time, watches see changes when
        the notebook moves the clock (``cluster.sleep``, ``cluster.wait_rollout``).

        Example:
            >>> api = cluster.serve_api(kubeconfig="sim.kubeconfig")
            >>> # !kubectl --kubeconfig sim.kubeconfig get pods
            >>> api.close()
        """
        from helpers.sim.httpapi import serve  # cryptography loads only when serving

        return serve(self.api, kubeconfig=kubeconfig, port=port, plane=self.dataplane)

    def close(self) -> None:
        """Stop the realtime thread (safe to call twice)."""
        if self._driver is not None:
            self._driver.stop()

    def __repr__(self) -> str:
        mode = f"realtime x{self._driver.speed:g}" if self._driver else "virtual time"
        workers = sum(1 for n in self.store.of_kind("Node") if n.role == "worker")
        return f"<SimCluster {self.name!r}: simulated cluster, {workers} workers, {mode}, t={self.clock.now:.1f}s>"


__all__ = ["SimCluster"]
