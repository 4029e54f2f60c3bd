"""Kubernetes JSON for the kube backend tests, shaped as a kind cluster serves it."""

from __future__ import annotations

from tests.kube.fakestate import stamp


def namespace(name: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def node(name: str, control_plane: bool = False, cpu: str = "4", memory: str = "8Gi") -> dict:
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    spec = {}
    if control_plane:
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        },
    }


def pod(
    name: str,
    node_name: str | None = "orchestra-worker",
    image: str = "orchestra/model:v1",
    deployment: str | None = "model",
    template_hash: str = "6d4b9c7f5",
    ready: bool = True,
    waiting: str | None = None,
    namespace: str = "default",
    cpu: str = "250m",
    memory: str = "256Mi",
) -> dict:
    """A pod of ReplicaSet <deployment>-<hash>, Running and Ready unless told otherwise."""
    meta = {"name": name, "namespace": namespace, "labels": {"app": "model"}}
    meta["creationTimestamp"] = stamp()
    if deployment:
        meta["labels"]["pod-template-hash"] = template_hash
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{deployment}-{template_hash}"}
        ]
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": stamp()}}
    phase = "Pending" if waiting else "Running"
    ready_text = "True" if ready and not waiting else "False"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": "model",
                    "image": image,
                    "resources": {"requests": {"cpu": cpu, "memory": memory}},
                }
            ],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": ready_text}],
            "containerStatuses": [
                {"name": "model", "ready": ready_text == "True", "restartCount": 0, "state": state}
            ],
        },
    }


def deployment(name: str = "model", image: str = "orchestra/model:v1", replicas: int = 3) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "model", "image": image}]},
            },
        },
    }


def service(name: str = "model", node_port: int = 30080) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"port": 8080, "targetPort": 8080, "nodePort": node_port}],
        },
    }


def endpointslice(service_name: str, ready_pods: list[str], unready: list[str] = ()) -> dict:
    endpoints = [
        {"addresses": ["10.244.1.1"], "conditions": {"ready": name in ready_pods},
         "targetRef": {"kind": "Pod", "name": name, "namespace": "default"}}
        for name in [*ready_pods, *unready]
    ]  # fmt: skip
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-abcde",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
    }


def event(name: str, reason: str, obj: str, message: str, kind: str = "Pod") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": kind, "name": obj, "namespace": "default"},
        "reason": reason,
        "message": message,
        "type": "Warning" if reason in ("BackOff", "Failed", "FailedScheduling") else "Normal",
        "lastTimestamp": stamp(),
        "count": 1,
    }
