"""KubeCluster: the shared cluster API on a real cluster through the official client.

The primitives are plain REST calls (helpers.kube.apiserver); the state views come from
a watch cache (helpers.kube.store) fed by one informer thread per watched kind. The verbs
people type (scale, set_image, rollout_undo, drain, wait_rollout...) are inherited from
helpers.core.api.Cluster, so they behave the same as on the simulator.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable
from typing import Any

import urllib3
from kubernetes.client import CoreV1Api, V1DeleteOptions, V1Eviction, V1ObjectMeta
from kubernetes.client.exceptions import ApiException

from helpers.core import labels, manifests
from helpers.core.api import Cluster
from helpers.core.kinds import KINDS
from helpers.core.registry import configured as configured_registry
from helpers.core.registry import with_registry
from helpers.errors import ClusterUnavailable, LabError, LabTimeout, ManifestError, NotFound
from helpers.kube.apiserver import ApiServer, why_unreachable
from helpers.kube.config import open_client
from helpers.kube.informer import Informer
from helpers.kube.nodepower import set_node_power
from helpers.kube.resources import resource_for
from helpers.kube.services import ServiceClient, service_url
from helpers.kube.statuses import Request, error_for, parse_status, unreachable
from helpers.kube.store import WATCHED, Store

# How long the constructor waits for the first list of every watched kind.
SYNC_SECONDS = 20.0
# wait() re-checks at least this often, for predicates that read the clock.
RECHECK_SECONDS = 1.0
# 30 s: how long a nodePort freed by a deleted Service may still read as allocated before
# the API server's allocator catches up (seconds on kind; kubectl users simply retry).
NODE_PORT_RETRY_S = 30.0


class KubeCluster(Cluster):
    """A real Kubernetes cluster, named by its kubeconfig context.

    Args:
        context: the kubeconfig context ("kind-orchestra" for the course cluster).
        kubeconfig: a kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
        timeout: seconds for one API request.
        registry: the registry the course images were pushed to (default: ``LAB_REGISTRY``;
            None and unset: the images were loaded into the nodes, as ``kind load`` does).
            What is applied or set names them there (helpers.core.registry).

    Example:
        >>> cluster = KubeCluster("kind-orchestra")
        >>> cluster.apply("cluster/manifests/")
        ['deployment/model', 'service/model', ...]
    """

    backend = "kube"

    def __init__(
        self, context: str, kubeconfig=None, timeout: float = 30.0, registry: str | None = None
    ):
        self.name = context
        self.registry = registry.rstrip("/") if registry else configured_registry()
        self.kubeconfig = kubeconfig  # None: $KUBECONFIG or ~/.kube/config (kubectl's own)
        self.t0 = time.time()
        self._client = open_client(context, kubeconfig)
        self.api = ApiServer(self._client, context, timeout=timeout)
        # The store's clock must not hold self, or the watch threads would keep it alive.
        self.store = Store(self.t0, functools.partial(_seconds_since, self.t0))
        self._informers: list[Informer] = []
        self._closed = False
        # A notebook that re-runs `cluster = helpers.connect()` drops the old object without
        # close(); the finalizer then stops its watch threads (it holds no reference to self).
        self._finalizer = weakref.finalize(self, _shut_down, self._informers, self._client)
        try:
            self.api.request("GET", "/version", Request("get", "Version"), timeout=(5, 10))
            self._start_informers()
        except BaseException:
            self.close()
            raise

    def _start_informers(self) -> None:
        for kind in WATCHED:
            inf = Informer(self.api, KINDS[kind], self.store.replace, self.store.event)
            self._informers.append(inf.start())
        deadline = time.monotonic() + SYNC_SECONDS
        for inf in self._informers:
            inf.synced.wait(max(deadline - time.monotonic(), 0.0))
            if inf.error is not None and not isinstance(inf.error, ClusterUnavailable):
                raise inf.error
            if not inf.synced.is_set():
                raise ClusterUnavailable(
                    f"Listing {inf.resource.plural} on context {self.name!r} took over "
                    f"{SYNC_SECONDS:g} s.",
                    "The API server is overloaded or unreachable; run `make doctor`.",
                )

    # ---- declarative state ----------------------------------------------------------------
    def apply(self, source, namespace: str = "default") -> list[str]:
        """Server-side apply each object (idempotent: applying twice changes nothing)."""
        refs = []
        for obj in manifests.load(source):
            obj = with_registry(obj, self.registry)
            res = resource_for(obj["kind"], obj["apiVersion"])
            meta = obj.setdefault("metadata", {})
            ns = None
            if res.namespaced:
                ns = meta.setdefault("namespace", namespace)
            req = Request("apply", res.kind, meta["name"], ns)
            self._apply_one(res.path(ns, meta["name"]), obj, req)
            refs.append(manifests.ref(obj))
        return refs

    def dry_run_apply(self, source, namespace: str = "default") -> list[tuple[dict | None, dict]]:
        """(live or None, as apply would leave it) per object: a dry-run server-side apply."""
        out = []
        for obj in manifests.load(source):
            obj = with_registry(obj, self.registry)
            res = resource_for(obj["kind"], obj["apiVersion"])
            meta = obj.setdefault("metadata", {})
            ns = meta.setdefault("namespace", namespace) if res.namespaced else None
            path = res.path(ns, meta["name"])
            try:
                live = self.api.request("GET", path, Request("get", res.kind, meta["name"], ns))
            except NotFound:
                live = None
            req = Request("apply", res.kind, meta["name"], ns)
            out.append((live, self.api.apply(path, obj, req, dry_run=True)))
        return out

    def _apply_one(self, path: str, obj: dict, req: Request) -> None:
        """Apply; a nodePort just freed by a deleted Service is retried for a while.

        The API server can refuse a Service that asks for a nodePort a deleted Service held
        a moment ago ("provided port is already allocated") until its allocator catches up
        (kubernetes/kubernetes#89042); clients retry. A port another Service holds now is
        refused at once.
        """
        deadline = time.monotonic() + NODE_PORT_RETRY_S
        while True:
            try:
                self.api.apply(path, obj, req)
                return
            except ManifestError as err:
                if "provided port is already allocated" not in str(err):
                    raise
                if time.monotonic() > deadline or self._node_port_held(obj):
                    raise
            time.sleep(1.0)

    def _node_port_held(self, service: dict) -> bool:
        """Whether a Service (any namespace, other than this one) holds a port it asks for."""
        wanted = {p.get("nodePort") for p in service.get("spec", {}).get("ports") or []}
        me = (service["metadata"].get("namespace"), service["metadata"]["name"])
        for other in self.list_objects("Service", None):
            if (other["metadata"].get("namespace"), other["metadata"]["name"]) == me:
                continue
            ports = other.get("spec", {}).get("ports") or []
            if wanted & {p.get("nodePort") for p in ports}:
                return True
        return False

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        res = resource_for(kind)
        ns = namespace if res.namespaced else None
        return self.api.request("GET", res.path(ns, name), Request("get", res.kind, name, ns))

    def list_objects(
        self, kind: str, namespace: str | None = "default", selector=None
    ) -> list[dict[str, Any]]:
        res = resource_for(kind)
        ns = namespace if res.namespaced else None
        text = labels.to_string(selector) if selector is not None else None
        data = self.api.list(res.path(ns), Request("list", res.kind, None, ns), text)
        items = data.get("items") or []
        version = res.group_version
        for item in items:  # list items come without apiVersion and kind
            item.setdefault("apiVersion", version)
            item.setdefault("kind", res.kind)
        return items

    def patch(self, kind: str, name: str, patch: dict, namespace: str | None = "default") -> dict:
        res = resource_for(kind)
        ns = namespace if res.namespaced else None
        return self.api.merge_patch(res.path(ns, name), patch, Request("patch", res.kind, name, ns))

    def delete(self, kind: str, name: str, namespace: str = "default") -> None:
        """Delete in the background: dependents are collected by the garbage collector."""
        res = resource_for(kind)
        ns = namespace if res.namespaced else None
        req = Request("delete", res.kind, name, ns)
        query = {"propagationPolicy": "Background"}
        self.api.request("DELETE", res.path(ns, name), req, query)

    def evict(self, pod: str, namespace: str = "default") -> bool:
        """Evict through the Eviction API; False when a PodDisruptionBudget refuses (429).

        (kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/)
        """
        body = V1Eviction(
            metadata=V1ObjectMeta(name=pod, namespace=namespace),
            delete_options=V1DeleteOptions(propagation_policy="Background"),
        )
        req = Request("evict", "Pod", pod, namespace)
        try:
            CoreV1Api(self._client).create_namespaced_pod_eviction(
                pod, namespace, body, _request_timeout=self.api.timeout
            )
        except ApiException as err:
            if err.status == 429:
                return False
            if not err.status:
                raise unreachable(self.name, self.api.server, why_unreachable(err)) from None
            raise error_for(err.status, parse_status(err.body), req, self.name) from None
        except (OSError, urllib3.exceptions.HTTPError) as err:
            raise unreachable(self.name, self.api.server, why_unreachable(err)) from None
        return True

    # ---- state for views --------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        rows = self.store.snapshot_rows()
        return {
            "backend": self.backend,
            "simulated": False,
            "cluster": self.name,
            "time": self.now(),
            **rows,
        }

    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        return self.store.subscribe(callback)

    def event_rows(self) -> list[dict[str, Any]]:
        return self.store.event_rows()

    def wait(self, predicate: Callable[[Cluster], bool], timeout: float, what: str) -> None:
        """Re-check ``predicate`` on every cache change (and every second for clock checks)."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.store.version
            if predicate(self):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                problems = self.watch_problems()
                detail = f" The watches report: {'; '.join(problems)}." if problems else ""
                raise LabTimeout(f"Timed out after {timeout:g} s waiting for {what}.{detail}")
            if self._closed:
                raise LabError(f"The cluster connection was closed while waiting for {what}.")
            with self.store.changed:
                self.store.changed.wait_for(
                    lambda v=seen: self.store.version != v, timeout=min(left, RECHECK_SECONDS)
                )

    # ---- nodes, time, services ------------------------------------------------------------
    def stop_node(self, node: str) -> None:
        """Stop the kind node's container: its kubelet stops reporting, as on power loss."""
        set_node_power(self, node, on=False)

    def start_node(self, node: str) -> None:
        """Start the kind node's container again; its kubelet reports Ready soon after."""
        set_node_power(self, node, on=True)

    def now(self) -> float:
        """Wall-clock seconds since this cluster object was created."""
        return _seconds_since(self.t0)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def service(self, name: str, namespace: str = "default", url: str | None = None):
        """A client for Service ``name`` reached from this machine (NodePort or LB).

        ``url`` overrides the address, e.g. after `kubectl port-forward svc/model 8080:8080`.
        """
        return ServiceClient(url or service_url(self, name, namespace), name)

    def traffic(self, service: str, rps: float = 50, duration: float | None = None, **kwargs):
        """Open-loop HTTP load on a Service (see helpers.kube.httptraffic)."""
        from helpers.kube.httptraffic import start_traffic

        return start_traffic(self, service, rps=rps, duration=duration, **kwargs)

    def close(self) -> None:
        """Stop the watch threads and close the connections (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        with self.store.changed:
            self.store.changed.notify_all()
        self._finalizer()

    def watch_problems(self) -> list[str]:
        """What keeps a watch from updating the cache right now (empty when all is well)."""
        return [f"{i.resource.plural}: {i.error.what}" for i in self._informers if i.error]

    @property
    def watches_alive(self) -> int:
        """How many informer threads are running (all of WATCHED while open)."""
        return sum(inf.alive for inf in self._informers)


def _shut_down(informers: list[Informer], client) -> None:
    for inf in informers:
        inf.stop(timeout=0)  # all signalled first, then joined: they end together
    for inf in informers:
        inf.stop(timeout=5.0)
    client.close()


def _seconds_since(t0: float) -> float:
    return time.time() - t0
