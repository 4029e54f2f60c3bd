"""The shared shape of cluster state: snapshot dicts, change records and the tables built on them.

Both backends produce these plain dicts; views, traffic tools and checks read only them.
A *snapshot* is the whole picture at one instant::

    {
      "backend": "sim" | "kube",
      "simulated": bool,                 # True on the simulator: every view says so
      "cluster": "orchestra",            # cluster or context name
      "time": 12.5,                      # cluster clock, seconds
      "nodes": [NodeRow, ...],
      "pods": [PodRow, ...],
      "deployments": [DeploymentRow, ...],
      "services": [ServiceRow, ...],
      "events": [EventRow, ...],         # the most recent ones (at most RECENT_EVENTS)
    }

A *change* (what ``cluster.subscribe(callback)`` delivers) is one object's new row::

    {"kind": "Pod" | "Node" | "Deployment" | "Service" | "Event",
     "type": "ADDED" | "MODIFIED" | "DELETED",
     "key": "default/model-6d4b9c7f5-x2k9p",   # namespace/name (nodes: name)
     "row": {...},                             # the row as in a snapshot (None when DELETED)
     "time": 12.5}

Applying the changes in order to a snapshot yields the next snapshot (``apply_change``),
which is how a view stays current without redrawing everything. A change and its row are
shared by all subscribers: treat them as read-only.
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import pandas as pd

RECENT_EVENTS = 50

# What `kubectl get pods` prints in STATUS, in the order a view lists them.
POD_STATUSES = (
    "Pending",
    "ContainerCreating",
    "Running",
    "Terminating",
    "Completed",
    "Error",
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "OOMKilled",
    "Evicted",
    "Unknown",
)


class NodeRow(TypedDict):
    """One node as the views and ``cluster.nodes()`` see it."""

    name: str
    role: str  # "control-plane" or "worker"
    ready: str  # "True", "False" or "Unknown" (the Ready condition's status)
    schedulable: bool  # False when cordoned (spec.unschedulable)
    taints: list[str]  # "key=value:Effect" or "key:Effect"
    cpu_allocatable: float  # cores
    cpu_requested: float  # cores, sum of requests of pods bound here
    memory_allocatable: int  # bytes
    memory_requested: int  # bytes
    pods: int  # pods bound here that are not finished


class PodRow(TypedDict):
    """One pod as the views and ``cluster.pods()`` see it."""

    name: str
    namespace: str
    node: str | None  # None while unscheduled
    status: str  # kubectl STATUS, one of POD_STATUSES
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    ready: bool  # the Ready condition
    restarts: int
    image: str
    version: str  # model version from the image tag ("v1"), else the tag
    owner: str | None  # deployment name if the pod belongs to one, else ReplicaSet/None
    labels: dict[str, str]
    endpoint: bool  # listed in a Service's ready endpoints
    created: float  # cluster clock seconds


class DeploymentRow(TypedDict):
    """One Deployment's rollout state (what `kubectl rollout status` reads)."""

    name: str
    namespace: str
    replicas: int  # desired (spec.replicas)
    updated: int  # status.updatedReplicas
    ready: int  # status.readyReplicas
    available: int  # status.availableReplicas
    total: int  # status.replicas (old and new)
    image: str
    version: str
    revision: int
    conditions: dict[str, dict[str, str]]  # type -> {"status", "reason", "message"}


class ServiceRow(TypedDict):
    """One Service and its ready endpoints."""

    name: str
    namespace: str
    type: str
    selector: dict[str, str]
    port: int
    node_port: int | None
    endpoints: list[str]  # pod names, Ready pods only


class EventRow(TypedDict):
    """One Kubernetes Event."""

    time: float
    type: str  # Normal or Warning
    object: str  # "pod/model-...", "deployment/model", "node/orchestra-worker"
    reason: str
    message: str


POD_COLUMNS = ["name", "node", "status", "ready", "restarts", "image", "version", "age_s"]
NODE_COLUMNS = [
    "name",
    "role",
    "ready",
    "schedulable",
    "cpu_allocatable",
    "cpu_requested",
    "memory_allocatable",
    "memory_requested",
    "pods",
]
EVENT_COLUMNS = ["time", "type", "object", "reason", "message"]


def version_of(image: str) -> str:
    """The model version an image carries: its tag, or "latest" when it has none.

    Example:
        >>> version_of("orchestra/model:v2")
        'v2'
    """
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def with_version(image: str, version: str) -> str:
    """``image`` with its tag set to ``version`` (registry and repository kept; the inverse
    of ``version_of``).

    Example:
        >>> with_version("localhost:5000/orchestra/model:v1", "v2")
        'localhost:5000/orchestra/model:v2'
    """
    head, _, last = image.split("@", 1)[0].rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}:{version}" if head else f"{name}:{version}"


def pods_table(pods: list[PodRow], now: float) -> pd.DataFrame:
    """The `kubectl get pods` table as a DataFrame, sorted by name."""
    rows = [
        {**{c: p[c] for c in POD_COLUMNS if c != "age_s"}, "age_s": round(now - p["created"], 1)}
        for p in sorted(pods, key=lambda p: p["name"])
    ]
    return pd.DataFrame(rows, columns=POD_COLUMNS)


def nodes_table(nodes: list[NodeRow]) -> pd.DataFrame:
    """The nodes table as a DataFrame, sorted by name."""
    rows = [{c: n[c] for c in NODE_COLUMNS} for n in sorted(nodes, key=lambda n: n["name"])]
    return pd.DataFrame(rows, columns=NODE_COLUMNS)


def events_table(events: list[EventRow], since: float | None = None) -> pd.DataFrame:
    """The events table as a DataFrame, oldest first, optionally from ``since`` on."""
    rows = [e for e in events if since is None or e["time"] >= since]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


_SECTIONS = {
    "Node": "nodes",
    "Pod": "pods",
    "Deployment": "deployments",
    "Service": "services",
}


def row_key(kind: str, row: dict[str, Any]) -> str:
    """The key a change uses for a row: namespace/name, or name for nodes."""
    return row["name"] if kind == "Node" else f"{row.get('namespace', 'default')}/{row['name']}"


def apply_change(snapshot: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Return a new snapshot with one change applied (the input is not modified)."""
    snap = copy.copy(snapshot)
    snap["time"] = max(snap.get("time", 0.0), change.get("time", 0.0))
    kind = change["kind"]
    if kind == "Event":
        snap["events"] = [*snap.get("events", []), change["row"]][-RECENT_EVENTS:]
        return snap
    section = _SECTIONS[kind]
    rows = [r for r in snap.get(section, []) if row_key(kind, r) != change["key"]]
    if change["type"] != "DELETED":
        rows.append(change["row"])
        rows.sort(key=lambda r: row_key(kind, r))
    snap[section] = rows
    return snap
