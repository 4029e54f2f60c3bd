"""A v1 -> v2 rolling update on the fake cluster, at any size, in cluster-time steps.

The steps follow a Deployment's rolling update as the simulator and kind show it: new pods
Pending, scheduled (ContainerCreating), Running not Ready, then Ready; each old pod then
Terminating and gone. ``batch`` pods move at once (maxSurge), one step per second.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.views.fakecluster import FakeCluster, pod_row


def rolling_update(cluster: FakeCluster, flush: Callable[[], object], batch: int = 50) -> None:
    """Roll every v1 pod of ``cluster`` to v2, calling ``flush()`` after each step."""
    olds = sorted(k.split("/")[1] for k, p in cluster.pods_.items() if p["version"] == "v1")
    workers = sorted(n for n, r in cluster.nodes_.items() if r["role"] == "worker")
    for start in range(0, len(olds), batch):
        group = olds[start : start + batch]
        news = [f"model-8f1e2-{start + i:05d}" for i in range(len(group))]
        cluster.add_event("ScalingReplicaSet", "deployment/model", f"Scaled up to {len(news)}")
        for name in news:
            cluster.add_pod(pod_row(name, node=None, version="v2", status="Pending", ready=False))
        flush()
        cluster.time += 0.2
        for i, name in enumerate(news):
            node = workers[(start + i) % len(workers)]
            cluster.set_pod(name, node=node, status="ContainerCreating", endpoint=False)
            cpu = cluster.nodes_[node]["cpu_requested"] + 0.1
            cluster.set_node(node, cpu_requested=round(cpu, 2))
        flush()
        cluster.time += 0.8
        for name in news:
            cluster.set_pod(name, status="Running", phase="Running")
        flush()
        cluster.time += 1.0
        for name, old in zip(news, group, strict=True):
            cluster.set_pod(name, ready=True, endpoint=True)
            cluster.set_pod(old, status="Terminating", ready=False, endpoint=False)
            cluster.add_event("Killing", f"pod/{old}", "Stopping container model")
        flush()
        cluster.time += 1.0
        for old in group:
            node = cluster.pods_[f"default/{old}"]["node"]
            cluster.remove_pod(old)
            cpu = max(cluster.nodes_[node]["cpu_requested"] - 0.1, 0.0)
            cluster.set_node(node, cpu_requested=round(cpu, 2))
        flush()
