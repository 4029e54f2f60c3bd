"""The tests' one module of manifest builders: Kubernetes objects as dicts.

Objects a student applies (``deployment``, ``service``) and objects as a kind cluster
serves them with their status (``node``, ``pod``, ``endpointslice``, ``event``), for the
simulator's tests, the kube backend's HTTP fake and the backend contract suite.
"""

from __future__ import annotations

import copy
from pathlib import Path

from tests.kube.fakestate import stamp

MANIFESTS = Path(__file__).resolve().parents[1] / "cluster" / "manifests"


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
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{deployment}-{template_hash}",
                "controller": True,  # as the ReplicaSet controller writes it
                "blockOwnerDeletion": True,
            }
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


def deployment(
    name="web", replicas=3, image="orchestra/model:v1", namespace=None, **spec_extra
) -> dict:
    """A minimal Deployment (no probes); ``container=`` and ``pod=`` extend the pod template,
    other keywords the Deployment spec."""
    container = {"name": "model", "image": image, "ports": [{"containerPort": 8080}]}
    container.update(spec_extra.pop("container", {}))
    pod_spec = {"containers": [container], **spec_extra.pop("pod", {})}
    meta = {"name": name, "labels": {"app": name}}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
            **spec_extra,
        },
    }


def service(name="web", app=None, port=80, node_port=None, namespace=None) -> dict:
    """A Service selecting app=<app or name> on targetPort 8080; NodePort if ``node_port``."""
    spec = {"selector": {"app": app or name}, "ports": [{"port": port, "targetPort": 8080}]}
    if node_port is not None:
        spec["type"] = "NodePort"
        spec["ports"][0]["nodePort"] = node_port
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def with_path(obj, path, value):
    """A deep copy of ``obj`` with ``path`` ("spec.template.spec.x") set to ``value``."""
    out = copy.deepcopy(obj)
    cur = out
    keys = path.split(".")
    for key in keys[:-1]:
        cur = cur[int(key)] if isinstance(cur, list) else cur.setdefault(key, {})
    cur[keys[-1]] = value
    return out


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
