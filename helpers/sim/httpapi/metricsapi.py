"""The resource metrics API (``metrics.k8s.io/v1beta1``) that ``kubectl top`` reads.

metrics-server serves PodMetrics and NodeMetrics; here they come from the simulator's
metrics (helpers.sim.metrics: the CPU the HPA reads) and the simulated server's memory.
A pod without a sample yet (two scrapes have not seen it running) is left out, as
metrics-server leaves it out. (kubernetes-sigs/metrics-server, docs/api.md)
"""

from __future__ import annotations

from helpers.core import labels
from helpers.sim.clock import iso
from helpers.sim.httpapi.statuses import ApiError
from helpers.sim.metrics import WINDOW_S

GROUP_VERSION = "metrics.k8s.io/v1beta1"
PREFIX = f"/apis/{GROUP_VERSION}"
# What a kind node's kubelet, containerd and system pods use beside the workload
# (a rough figure from `kubectl top nodes` on an idle kind cluster): 60m CPU, 400 MiB.
NODE_BASELINE_CPU = 0.060
NODE_BASELINE_MEMORY = 400 * 2**20

GROUP = {"name": "metrics.k8s.io",
         "versions": [{"groupVersion": GROUP_VERSION, "version": "v1beta1"}],
         "preferredVersion": {"groupVersion": GROUP_VERSION, "version": "v1beta1"}}  # fmt: skip
RESOURCES = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": GROUP_VERSION,
    "resources": [
        {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics",
         "verbs": ["get", "list"]},
        {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
         "verbs": ["get", "list"]},
    ],
}  # fmt: skip


def _cpu(cores: float) -> str:
    return f"{int(cores * 1e9)}n"


def _memory(size: float) -> str:
    return f"{int(size // 1024)}Ki"


def _pod_usage(api, plane, pod) -> tuple[float, float, float] | None:
    sample = plane.metrics.pod_sample(pod.name, pod.namespace)
    server = getattr(pod, "server", None)
    if sample is None or server is None:
        return None
    cores, stamp = sample
    return cores, server.memory(api.clock.now), stamp


def _pod_metrics(api, plane, pod) -> dict | None:
    usage = _pod_usage(api, plane, pod)
    if usage is None:
        return None
    cores, memory, stamp = usage
    container = pod.spec["containers"][0]["name"]
    return {"metadata": {"name": pod.name, "namespace": pod.namespace,
                         "creationTimestamp": iso(api.clock.now), "labels": dict(pod.labels)},
            "timestamp": iso(stamp), "window": f"{WINDOW_S:g}s",
            "containers": [{"name": container,
                            "usage": {"cpu": _cpu(cores), "memory": _memory(memory)}}]}  # fmt: skip


def _node_metrics(api, plane, node) -> dict:
    cores, memory = NODE_BASELINE_CPU, NODE_BASELINE_MEMORY
    for pod in api.store.of_kind("Pod", None):
        usage = _pod_usage(api, plane, pod) if pod.node == node.name else None
        if usage is not None:
            cores, memory = cores + usage[0], memory + usage[1]
    stamp = plane.metrics.last_scrape()
    return {"metadata": {"name": node.name, "creationTimestamp": iso(api.clock.now),
                         "labels": dict(node.labels)},
            "timestamp": iso(stamp), "window": f"{WINDOW_S:g}s",
            "usage": {"cpu": _cpu(cores), "memory": _memory(memory)}}  # fmt: skip


def serve(api, plane, path: str, q: dict) -> dict:
    """The response to ``GET path`` under ``/apis/metrics.k8s.io/v1beta1``."""
    if plane is None:
        raise ApiError(503, "ServiceUnavailable", "the simulator's metrics are not connected")
    rest = path.removeprefix(PREFIX).strip("/").split("/")
    if rest == [""]:
        return RESOURCES
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    plural, name = ([*rest, None])[:2]
    if plural not in ("pods", "nodes") or len(rest) > 2:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    kind = "Pod" if plural == "pods" else "Node"
    reqs = labels.parse(q.get("labelSelector"))
    with api.lock:
        objs = api.store.select(kind, namespace if kind == "Pod" else None, reqs)
        build = _pod_metrics if kind == "Pod" else _node_metrics
        items = [m for o in objs if (name is None or o.name == name)
                 for m in [build(api, plane, o)] if m is not None]  # fmt: skip
    if name is not None:
        if not items:
            raise ApiError(404, "NotFound", f'{plural}.metrics.k8s.io "{name}" not found')
        return {"kind": f"{kind}Metrics", "apiVersion": GROUP_VERSION, **items[0]}
    return {"kind": f"{kind}MetricsList", "apiVersion": GROUP_VERSION, "metadata": {},
            "items": items}  # fmt: skip
