"""Rows for views (helpers.core.state): nodes, pods, deployments, services, from simulator objects."""

from __future__ import annotations

from typing import Any

from helpers.core.state import version_of


def node_row(node) -> dict[str, Any]:
    """A NodeRow."""
    return {
        "name": node.name,
        "role": node.role,
        "ready": node.ready,
        "schedulable": not node.unschedulable,
        "taints": [
            f"{t['key']}={t['value']}:{t['effect']}"
            if t.get("value")
            else f"{t['key']}:{t['effect']}"
            for t in node.taints
        ],
        "cpu_allocatable": node.cpu,
        "cpu_requested": round(node.cpu_req, 6),
        "memory_allocatable": int(node.mem),
        "memory_requested": int(node.mem_req),
        "pods": len(node.pods),
    }


def owner_name(pod, store) -> str | None:
    """The Deployment a pod belongs to, else its ReplicaSet, else None."""
    rs = store.by_uid.get(pod.owner or "")
    if rs is None:
        return None
    dep = store.by_uid.get(rs.owner or "")
    return dep.name if dep is not None else rs.name


def pods_owned_by(store, name: str, namespace: str | None) -> list:
    """The pods whose ``owner_name`` is ``name``, sorted by name, from the owner index.

    ``owner_name`` is the controller's controller (a Deployment) if there is one, else the
    controller: so the pods of every object's children named ``name``, plus the pods of an
    object named ``name`` that has no live owner of its own (a bare ReplicaSet).
    """
    pods: dict[str, object] = {}
    for kind in list(store.objects):
        obj = store.find(kind, name, namespace)
        if obj is None:
            continue
        if store.by_uid.get(obj.owner or "") is None:
            pods.update((p.uid, p) for p in store.owned(obj, "Pod"))
        for child in store.owned(obj):
            pods.update((p.uid, p) for p in store.owned(child, "Pod"))
    return sorted((p for p in pods.values() if p.namespace == namespace), key=lambda p: p.name)


def pod_row(pod, store, endpoints) -> dict[str, Any]:
    """A PodRow."""
    return {
        "name": pod.name,
        "namespace": pod.namespace,
        "node": pod.node,
        "status": pod.kubectl_status(),
        "phase": pod.phase,
        "ready": pod.is_ready,
        "restarts": pod.restarts,
        "image": pod.plan.image,
        "version": pod.plan.version,
        "owner": owner_name(pod, store),
        "labels": dict(pod.labels),
        "endpoint": endpoints.is_listed(pod),
        "created": pod.created,
    }


def deployment_row(dep) -> dict[str, Any]:
    """A DeploymentRow."""
    status = dep.status or {}
    image = dep.spec["template"]["spec"]["containers"][0]["image"]
    rev = int((dep.meta.get("annotations") or {}).get("deployment.kubernetes.io/revision", 0) or 0)
    return {
        "name": dep.name,
        "namespace": dep.namespace,
        "replicas": int(dep.spec.get("replicas", 1)),
        "updated": status.get("updatedReplicas", 0),
        "ready": status.get("readyReplicas", 0),
        "available": status.get("availableReplicas", 0),
        "total": status.get("replicas", 0),
        "image": image,
        "version": version_of(image),
        "revision": rev,
        "conditions": {
            c["type"]: {
                "status": c["status"],
                "reason": c.get("reason", ""),
                "message": c.get("message", ""),
            }
            for c in status.get("conditions", [])
        },
    }


def service_row(svc, endpoints) -> dict[str, Any]:
    """A ServiceRow."""
    port = (svc.spec.get("ports") or [{}])[0]
    return {
        "name": svc.name,
        "namespace": svc.namespace,
        "type": svc.spec.get("type", "ClusterIP"),
        "selector": dict(svc.spec.get("selector") or {}),
        "port": port.get("port"),
        "node_port": port.get("nodePort"),
        "endpoints": endpoints.endpoints(svc),
    }


def generic_row(obj) -> dict[str, Any]:
    """A small row for other kinds (HorizontalPodAutoscaler): name, namespace, spec, status."""
    return {"name": obj.name, "namespace": obj.namespace, "spec": obj.spec, "status": obj.status}


def make_row(obj, store, endpoints) -> dict[str, Any]:
    """The row of any object a subscriber can see (``endpoints``: the endpoints controller)."""
    if obj.kind == "Pod":
        return pod_row(obj, store, endpoints)
    if obj.kind == "Node":
        return node_row(obj)
    if obj.kind == "Deployment":
        return deployment_row(obj)
    if obj.kind == "Service":
        return service_row(obj, endpoints)
    return generic_row(obj)


def snapshot(store, endpoints, cluster: str, now: float, events: list) -> dict[str, Any]:
    """Everything as plain rows (helpers.core.state), ``simulated: True``."""
    return {
        "backend": "sim",
        "simulated": True,
        "cluster": cluster,
        "time": now,
        "nodes": [make_row(n, store, endpoints) for n in store.of_kind("Node")],
        "pods": [make_row(p, store, endpoints) for p in store.of_kind("Pod")],
        "deployments": [make_row(d, store, endpoints) for d in store.of_kind("Deployment")],
        "services": [make_row(v, store, endpoints) for v in store.of_kind("Service")],
        "events": events,
    }


__all__ = ["make_row", "pods_owned_by", "snapshot"]
