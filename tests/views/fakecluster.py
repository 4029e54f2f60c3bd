"""A small in-test Cluster that feeds hand-made rows and changes to the views.

It speaks the real protocol (``snapshot()``, ``subscribe(callback)`` with change dicts as
helpers.core.state defines them) and nothing of a backend's internals. ``scale`` works as a
tiny controller would (new pods Ready at once, endpoints updated), enough to see chips
come and go; everything else about Kubernetes is the simulator's job, not this fake's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from helpers.core.api import Cluster
from helpers.errors import LabTimeout, NotFound, UnsupportedOnBackend

GIB = 1024**3


def node_row(name: str, role: str = "worker", **fields) -> dict[str, Any]:
    """A NodeRow with kind-like capacity (4 cores, 8 GiB)."""
    row = {
        "name": name,
        "role": role,
        "ready": "True",
        "schedulable": True,
        "taints": [],
        "cpu_allocatable": 4.0,
        "cpu_requested": 0.0,
        "memory_allocatable": 8 * GIB,
        "memory_requested": 0,
        "pods": 0,
    }
    return {**row, **fields}


def pod_row(name: str, node: str | None = "worker-1", version: str = "v1", **fields) -> dict:
    """A PodRow of the model Deployment, Running and Ready unless told otherwise."""
    row = {
        "name": name,
        "namespace": "default",
        "node": node,
        "status": "Running",
        "phase": "Running",
        "ready": True,
        "restarts": 0,
        "image": f"orchestra/model:{version}",
        "version": version,
        "owner": "model",
        "labels": {"app": "model"},
        "endpoint": True,
        "created": 0.0,
    }
    return {**row, **fields}


def deployment_row(name: str = "model", replicas: int = 3, version: str = "v1", **fields):
    """A DeploymentRow whose rollout is complete."""
    row = {
        "name": name,
        "namespace": "default",
        "replicas": replicas,
        "updated": replicas,
        "ready": replicas,
        "available": replicas,
        "total": replicas,
        "image": f"orchestra/model:{version}",
        "version": version,
        "revision": 1,
        "conditions": {"Available": {"status": "True", "reason": "", "message": ""}},
    }
    return {**row, **fields}


class FakeCluster(Cluster):
    """Hand-made state with change delivery; ``backend`` "sim" unless told otherwise.

    Example:
        >>> cluster = FakeCluster(workers=2, replicas=3)
        >>> cluster.set_pod("model-abc-00001", status="CrashLoopBackOff", ready=False)
    """

    def __init__(self, workers: int = 2, replicas: int = 3, backend: str = "sim", name="fake"):
        self.backend = backend
        self.name = name
        self.time = 0.0
        self._subscribers: list[Callable[[dict], None]] = []
        self._counter = 0
        self.nodes_ = {"control-plane": node_row("control-plane", role="control-plane")}
        for i in range(1, workers + 1):
            self.nodes_[f"worker-{i}"] = node_row(f"worker-{i}")
        self.pods_: dict[str, dict] = {}
        self.deployments_ = {"default/model": deployment_row(replicas=replicas)}
        self.services_ = {"default/model": self._service_row([])}
        self.events_: list[dict] = []
        for _ in range(replicas):
            row = self._new_pod()
            self.pods_[f"default/{row['name']}"] = row
        self.services_["default/model"]["endpoints"] = sorted(
            p["name"] for p in self.pods_.values()
        )

    @staticmethod
    def _service_row(endpoints: list[str]) -> dict[str, Any]:
        return {
            "name": "model",
            "namespace": "default",
            "type": "NodePort",
            "selector": {"app": "model"},
            "port": 8080,
            "node_port": 30080,
            "endpoints": endpoints,
        }

    def _new_pod(self) -> dict[str, Any]:
        workers = sorted(n for n, r in self.nodes_.items() if r["role"] == "worker")
        self._counter += 1
        node = workers[(self._counter - 1) % len(workers)] if workers else None
        return pod_row(f"model-7c9d5-{self._counter:05d}", node=node, created=self.time)

    # ---- driving it from a test -------------------------------------------------------
    def emit(self, kind: str, type_: str, key: str, row: dict | None) -> None:
        """Deliver one change to every subscriber."""
        change = {"kind": kind, "type": type_, "key": key, "row": row, "time": self.time}
        for callback in list(self._subscribers):
            callback(copy.deepcopy(change))

    def set_pod(self, name: str, **fields) -> dict[str, Any]:
        """Change a pod's row (e.g. status=, ready=, node=) and deliver the change."""
        key = f"default/{name}"
        self.pods_[key] = {**self.pods_[key], **fields}
        self.emit("Pod", "MODIFIED", key, self.pods_[key])
        return self.pods_[key]

    def add_pod(self, row: dict[str, Any]) -> None:
        """Add a pod row and deliver ADDED."""
        key = f"{row['namespace']}/{row['name']}"
        self.pods_[key] = row
        self.emit("Pod", "ADDED", key, row)

    def remove_pod(self, name: str) -> None:
        """Remove a pod and deliver DELETED."""
        key = f"default/{name}"
        del self.pods_[key]
        self.emit("Pod", "DELETED", key, None)

    def set_node(self, name: str, **fields) -> None:
        """Change a node's row (ready=, schedulable=, cpu_requested=, ...)."""
        self.nodes_[name] = {**self.nodes_[name], **fields}
        self.emit("Node", "MODIFIED", name, self.nodes_[name])

    def add_event(self, reason: str, obj: str, message: str, type_: str = "Normal") -> None:
        """Record an event and deliver it."""
        row = {"time": self.time, "type": type_, "object": obj, "reason": reason}
        row["message"] = message
        self.events_.append(row)
        self.emit("Event", "ADDED", f"event/{len(self.events_)}", row)

    def set_endpoints(self, names: list[str]) -> None:
        """Replace the model Service's endpoints (only a Service change is delivered)."""
        self.services_["default/model"]["endpoints"] = sorted(names)
        self.emit("Service", "MODIFIED", "default/model", self.services_["default/model"])

    # ---- the shared interface ---------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "backend": self.backend,
                "simulated": self.simulated,
                "cluster": self.name,
                "time": self.time,
                "nodes": sorted(self.nodes_.values(), key=lambda r: r["name"]),
                "pods": [self.pods_[k] for k in sorted(self.pods_)],
                "deployments": list(self.deployments_.values()),
                "services": list(self.services_.values()),
                "events": self.events_[-50:],
            }
        )

    def subscribe(self, callback):
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def patch(self, kind: str, name: str, patch: dict, namespace: str = "default") -> dict:
        if kind != "Deployment" or set(patch) != {"spec"} or set(patch["spec"]) != {"replicas"}:
            raise UnsupportedOnBackend("The fake cluster only scales Deployments.")
        want = patch["spec"]["replicas"]
        mine = sorted(k for k, p in self.pods_.items() if p["owner"] == name)
        for key in mine[want:]:
            self.remove_pod(key.split("/", 1)[1])
        for _ in range(want - len(mine)):
            row = self._new_pod()
            self.add_pod(row)
        dep = deployment_row(name, replicas=want)
        self.deployments_[f"{namespace}/{name}"] = dep
        self.emit("Deployment", "MODIFIED", f"{namespace}/{name}", dep)
        self.set_endpoints([p["name"] for p in self.pods_.values() if p["ready"]])
        self.add_event("ScalingReplicaSet", f"deployment/{name}", f"Scaled to {want}")
        return dep

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        row = self.deployments_.get(f"{namespace}/{name}")
        if kind != "Deployment" or row is None:
            raise NotFound(f"{kind}/{name} not found in the fake cluster.")
        return {
            "metadata": {"name": name, "namespace": namespace, "generation": 1},
            "spec": {
                "replicas": row["replicas"],
                "selector": {"matchLabels": {"app": name}},  # required in apps/v1
                "template": {"spec": {"containers": [{"name": "model", "image": row["image"]}]}},
            },
            "status": {
                "observedGeneration": 1,
                "replicas": row["total"],
                "updatedReplicas": row["updated"],
                "readyReplicas": row["ready"],
                "availableReplicas": row["available"],
            },
        }

    def event_rows(self):
        return list(self.events_)

    def wait(self, predicate, timeout: float, what: str) -> None:
        # Nothing changes by itself in the fake: the condition holds now or never.
        if not predicate(self):
            raise LabTimeout(f"Timed out waiting for {what}.")

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds

    def apply(self, source, namespace: str = "default"):
        raise UnsupportedOnBackend("The fake cluster takes hand-made rows, not manifests.")

    def dry_run_apply(self, source, namespace="default"):
        raise NotImplementedError

    def list_objects(self, kind, namespace="default", selector=None):
        raise UnsupportedOnBackend("The fake cluster lists no Kubernetes objects.")

    def delete(self, kind, name, namespace="default"):
        self.remove_pod(name)

    def evict(self, pod, namespace="default"):
        raise UnsupportedOnBackend("The fake cluster does not evict.")

    def stop_node(self, node):
        self.set_node(node, ready="Unknown")

    def start_node(self, node):
        self.set_node(node, ready="True")

    def service(self, name, namespace="default"):
        raise UnsupportedOnBackend("The fake cluster serves no requests.")

    def traffic(self, service, rps=50, duration=None, **kwargs):
        raise UnsupportedOnBackend("The fake cluster serves no requests.")
