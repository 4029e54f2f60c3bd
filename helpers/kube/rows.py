"""Kubernetes JSON objects turned into the rows of helpers.core.state (pure functions).

The watch cache calls these on every change; they read only the objects given, so each
row is a function of the cluster's objects and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubernetes.utils import parse_quantity

from helpers.core.state import DeploymentRow, EventRow, NodeRow, PodRow, ServiceRow, version_of
from helpers.kube.podstatus import pod_status, restarts

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"  # links an EndpointSlice to its Service


def epoch(stamp: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp ("2026-01-02T03:04:05Z")."""
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def quantity(value: Any, default: float = 0.0) -> float:
    """A Kubernetes quantity ("250m", "1Gi", "2") as a number (cores or bytes)."""
    if value in (None, ""):
        return default
    return float(parse_quantity(str(value)))


def owner_of(pod: dict[str, Any]) -> str | None:
    """The Deployment owning a pod (through its ReplicaSet), else the ReplicaSet, else None.

    A Deployment names its ReplicaSets ``<deployment>-<pod-template-hash>`` and labels
    their pods with that hash, so the ReplicaSet owner reference is enough.
    (kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label)
    """
    meta = _meta(pod)
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            rs, template_hash = (
                ref.get("name", ""),
                (meta.get("labels") or {}).get("pod-template-hash"),
            )
            if template_hash and rs.endswith(f"-{template_hash}"):
                return rs[: -len(template_hash) - 1]
            return rs
        return ref.get("name")
    return None


def pod_requests(pod: dict[str, Any]) -> tuple[float, float]:
    """The pod's CPU (cores) and memory (bytes) requests, as the scheduler sums them."""
    cpu = mem = 0.0
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += quantity(req.get("cpu"))
        mem += quantity(req.get("memory"))
    return cpu, mem


def finished(pod: dict[str, Any]) -> bool:
    """Succeeded or Failed pods no longer hold node resources."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_row(pod: dict[str, Any], t0: float, endpoints: set[str]) -> PodRow:
    """The PodRow of a pod; ``endpoints`` holds ``namespace/name`` of ready endpoints."""
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    containers = spec.get("containers") or [{}]
    image = containers[0].get("image", "")
    key = f"{meta.get('namespace', 'default')}/{meta.get('name')}"
    return PodRow(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", "default"),
        node=spec.get("nodeName") or None,
        status=pod_status(pod),
        phase=status.get("phase", "Pending"),
        ready=ready,
        restarts=restarts(pod),
        image=image,
        version=version_of(image),
        owner=owner_of(pod),
        labels=dict(meta.get("labels") or {}),
        endpoint=key in endpoints,
        created=(epoch(meta.get("creationTimestamp")) or t0) - t0,
    )


def node_row(node: dict[str, Any], pods: list[dict[str, Any]]) -> NodeRow:
    """The NodeRow of a node; ``pods`` are the pods bound to it."""
    meta, spec, status = _meta(node), node.get("spec") or {}, node.get("status") or {}
    ready = next(
        (
            c.get("status", "Unknown")
            for c in status.get("conditions") or []
            if c.get("type") == "Ready"
        ),
        "Unknown",
    )
    alloc = status.get("allocatable") or {}
    active = [p for p in pods if not finished(p)]
    requests = [pod_requests(p) for p in active]
    taints = []
    for t in spec.get("taints") or []:
        key = t["key"] + (f"={t['value']}" if t.get("value") else "")
        taints.append(f"{key}:{t.get('effect', '')}")
    return NodeRow(
        name=meta.get("name", ""),
        role="control-plane" if CONTROL_PLANE_LABEL in (meta.get("labels") or {}) else "worker",
        ready=ready,
        schedulable=not spec.get("unschedulable", False),
        taints=taints,
        cpu_allocatable=quantity(alloc.get("cpu")),
        cpu_requested=round(sum(c for c, _ in requests), 3),
        memory_allocatable=int(quantity(alloc.get("memory"))),
        memory_requested=int(sum(m for _, m in requests)),
        pods=len(active),
    )


def deployment_row(dep: dict[str, Any]) -> DeploymentRow:
    """The DeploymentRow (rollout counters and conditions) of a Deployment."""
    meta, spec, status = _meta(dep), dep.get("spec") or {}, dep.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or [{}]
    image = containers[0].get("image", "")
    revision = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")
    return DeploymentRow(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", "default"),
        replicas=int(spec.get("replicas", 1)),
        updated=int(status.get("updatedReplicas", 0)),
        ready=int(status.get("readyReplicas", 0)),
        available=int(status.get("availableReplicas", 0)),
        total=int(status.get("replicas", 0)),
        image=image,
        version=version_of(image),
        revision=int(revision),
        conditions={
            c["type"]: {k: c.get(k, "") for k in ("status", "reason", "message")}
            for c in status.get("conditions") or []
        },
    )


def ready_endpoints(slices: list[dict[str, Any]]) -> list[str]:
    """Names of the pods listed as ready in EndpointSlices (ready unset counts as ready).

    (kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions)
    """
    names = set()
    for sl in slices:
        for ep in sl.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get("ready", True):
                names.add(ref.get("name"))
    return sorted(names)


def service_row(svc: dict[str, Any], slices: list[dict[str, Any]]) -> ServiceRow:
    """The ServiceRow of a Service; ``slices`` are its EndpointSlices."""
    meta, spec = _meta(svc), svc.get("spec") or {}
    ports = spec.get("ports") or [{}]
    return ServiceRow(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", "default"),
        type=spec.get("type", "ClusterIP"),
        selector=dict(spec.get("selector") or {}),
        port=int(ports[0].get("port", 0)),
        node_port=ports[0].get("nodePort"),
        endpoints=ready_endpoints(slices),
    )


def event_row(ev: dict[str, Any], t0: float) -> EventRow:
    """The EventRow of a core/v1 Event (time: its last occurrence, on the cluster clock)."""
    meta = _meta(ev)
    stamp = (
        epoch(ev.get("lastTimestamp"))
        or epoch(ev.get("eventTime"))
        or epoch(ev.get("firstTimestamp"))
        or epoch(meta.get("creationTimestamp"))
        or t0
    )
    obj = ev.get("involvedObject") or {}
    return EventRow(
        time=round(stamp - t0, 3),
        type=ev.get("type", "Normal"),
        object=f"{obj.get('kind', '').lower()}/{obj.get('name', '')}",
        reason=ev.get("reason", ""),
        message=ev.get("message", ""),
    )
