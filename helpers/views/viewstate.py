"""Pure functions from snapshot rows (helpers.core.state) to the dicts ClusterView draws.

The widget, its static HTML and the tests all read these dicts, so what a student sees is
decided here once, without a browser. Every function is pure: rows in, plain JSON out.

A view state is::

    {"seq": 0, "header": {...}, "nodes": {name: NodeView}, "pods": {key: PodView},
     "deployments": {key: DeploymentView}, "events": [EventView, ...], "versions": [...]}
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

# How many events the widget lists: enough to tell a story, few enough to read at a glance.
EVENTS_SHOWN = 8

# The lane for pods that no node holds yet (Pending, unschedulable).
UNSCHEDULED = ""

# Colour-blind-safe (Tableau 10) colours; v1 blue, v2 green, v3 (the broken release) orange.
VERSION_COLORS = {"v1": "#4c78a8", "v2": "#54a24b", "v3": "#f58518"}
OTHER_COLORS = ("#b279a2", "#72b7b2", "#9d755d", "#eeca3b", "#ff9da6", "#bab0ac")

# States that need a person's attention: the widget draws them with a red outline.
FAILED_STATES = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "OOMKilled", "Evicted", "Error"}
)
# Short words printed on a chip (the full status stays in the tooltip).
STATE_LABELS = {
    "Ready": "Ready",
    "NotReady": "not Ready",
    "ContainerCreating": "creating",
    "CrashLoopBackOff": "CrashLoop",
    "ImagePullBackOff": "ImgPullBackOff",
    "ErrImagePull": "ErrImagePull",
    "OOMKilled": "OOMKilled",
    "Terminating": "terminating",
}
NODE_READY = {"True": "Ready", "False": "NotReady"}


def version_color(version: str) -> str:
    """The colour of a model version's chips (stable across runs and processes).

    Example:
        >>> version_color("v2")
        '#54a24b'
    """
    if version in VERSION_COLORS:
        return VERSION_COLORS[version]
    return OTHER_COLORS[zlib.crc32(version.encode()) % len(OTHER_COLORS)]


def pod_state(row: dict[str, Any]) -> str:
    """What a chip shows: the kubectl STATUS, with Running split into Ready and NotReady.

    Example:
        >>> pod_state({"status": "Running", "ready": False})
        'NotReady'
    """
    status = row.get("status") or "Unknown"
    if status == "Running":
        return "Ready" if row.get("ready") else "NotReady"
    return status


def pod_view(row: dict[str, Any], endpoint: bool = False) -> dict[str, Any]:
    """One chip. ``endpoint`` adds what Services list beyond the row's own flag.

    Example:
        >>> pod_view(cluster.snapshot()["pods"][0])["state"]
        'Ready'
    """
    state = pod_state(row)
    name = row["name"]
    version = row.get("version") or "?"
    return {
        "key": f"{row.get('namespace', 'default')}/{name}",
        "name": name,
        # The ReplicaSet hash and random suffix tell pods apart; the suffix is enough on a chip.
        "short": name.rsplit("-", 1)[-1] if "-" in name else name,
        "node": row.get("node") or UNSCHEDULED,
        "state": state,
        "label": STATE_LABELS.get(state, state),
        "failed": state in FAILED_STATES,
        "version": version,
        "color": version_color(version),
        "endpoint": bool(row.get("endpoint") or endpoint),
        "restarts": int(row.get("restarts") or 0),
        "owner": row.get("owner") or "",
        "status": row.get("status") or "Unknown",
    }


def _fraction(used: float, total: float) -> float:
    return round(min(used / total, 1.0), 3) if total else 0.0


def node_view(row: dict[str, Any]) -> dict[str, Any]:
    """One node box: readiness, cordon, and requested resources against allocatable.

    Example:
        >>> node_view(cluster.snapshot()["nodes"][0])["cpu"]["text"]
        '0.00 / 2 cores'
    """
    cpu_a, cpu_r = float(row.get("cpu_allocatable") or 0), float(row.get("cpu_requested") or 0)
    mem_a, mem_r = int(row.get("memory_allocatable") or 0), int(row.get("memory_requested") or 0)
    gib = 1024**3
    return {
        "name": row["name"],
        "role": row.get("role") or "worker",
        "ready": NODE_READY.get(str(row.get("ready")), "Unknown"),
        "cordoned": not row.get("schedulable", True),
        "cpu": {
            "frac": _fraction(cpu_r, cpu_a),
            "text": f"{cpu_r:.2f} / {cpu_a:g} cores",
            "over": cpu_r > cpu_a,
        },
        "memory": {
            "frac": _fraction(mem_r, mem_a),
            "text": f"{mem_r / gib:.1f} / {mem_a / gib:.1f} GiB",
            "over": mem_r > mem_a,
        },
        "taints": list(row.get("taints") or []),
    }


def deployment_view(row: dict[str, Any]) -> dict[str, Any]:
    """One rollout bar: desired, updated, available and total replicas, and the verdict.

    Example:
        >>> deployment_view(cluster.snapshot()["deployments"][0])["verdict"]
        'complete'
    """
    progressing = (row.get("conditions") or {}).get("Progressing", {})
    desired, updated = int(row.get("replicas") or 0), int(row.get("updated") or 0)
    available, total = int(row.get("available") or 0), int(row.get("total") or 0)
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        verdict = "stuck"
    elif updated >= desired and total <= updated and available >= desired:
        verdict = "complete"
    else:
        verdict = "progressing"
    return {
        "key": f"{row.get('namespace', 'default')}/{row['name']}",
        "name": row["name"],
        "version": row.get("version") or "?",
        "color": version_color(row.get("version") or "?"),
        "desired": desired,
        "updated": updated,
        "available": available,
        "ready": int(row.get("ready") or 0),
        "total": total,
        "revision": int(row.get("revision") or 0),
        "verdict": verdict,
        "reason": progressing.get("reason", ""),
    }


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    """One line of the events list.

    Example:
        >>> event_view({"time": 3.14, "reason": "Killing"})["time"]
        3.1
    """
    return {
        "time": round(float(row.get("time") or 0.0), 1),
        "type": row.get("type") or "Normal",
        "object": row.get("object") or "",
        "reason": row.get("reason") or "",
        "message": row.get("message") or "",
    }


def header_view(backend: str, simulated: bool, cluster: str, time: float) -> dict[str, Any]:
    """The title line: "simulated cluster" on the simulator, else the context name.

    Example:
        >>> header_view("kube", False, "kind-orchestra", 0.0)["title"]
        'cluster kind-orchestra'
    """
    title = "simulated cluster" if simulated else f"cluster {cluster or backend}"
    return {
        "title": title,
        "backend": backend,
        "cluster": cluster,
        "simulated": simulated,
        "time": round(float(time), 1),
    }


def endpoint_names(services: Iterable[dict[str, Any]]) -> set[str]:
    """``namespace/pod`` keys listed as ready endpoints by any Service.

    Example:
        >>> endpoint_names([{"namespace": "default", "endpoints": ["model-a"]}])
        {'default/model-a'}
    """
    return {
        f"{s.get('namespace', 'default')}/{p}" for s in services for p in s.get("endpoints", [])
    }


def versions_of(pods: Iterable[dict[str, Any]], deployments: Iterable[dict[str, Any]]) -> list:
    """The legend: each version on screen with its colour, v1 < v2 < v3 < others.

    Example:
        >>> [v["version"] for v in versions_of([{"version": "v2"}, {"version": "v1"}], [])]
        ['v1', 'v2']
    """
    seen = {p["version"] for p in pods} | {d["version"] for d in deployments}
    order = sorted(seen, key=lambda v: (v not in VERSION_COLORS, v))
    return [{"version": v, "color": version_color(v)} for v in order]


def view_state(snapshot: dict[str, Any], seq: int = 0) -> dict[str, Any]:
    """The whole widget state from a snapshot (see helpers.core.state).

    Example:
        >>> view_state(cluster.snapshot())["header"]["title"]
        'simulated cluster'
    """
    endpoints = endpoint_names(snapshot.get("services", []))
    pods = {}
    for row in snapshot.get("pods", []):
        view = pod_view(row)
        view["endpoint"] = view["endpoint"] or view["key"] in endpoints
        pods[view["key"]] = view
    deployments = {d["key"]: d for d in map(deployment_view, snapshot.get("deployments", []))}
    return {
        "seq": seq,
        "stopped": False,
        "header": header_view(
            snapshot.get("backend", ""),
            bool(snapshot.get("simulated")),
            snapshot.get("cluster", ""),
            snapshot.get("time", 0.0),
        ),
        "nodes": {n["name"]: n for n in map(node_view, snapshot.get("nodes", []))},
        "pods": pods,
        "deployments": deployments,
        "events": [event_view(e) for e in snapshot.get("events", [])[-EVENTS_SHOWN:]],
        "versions": versions_of(pods.values(), deployments.values()),
    }
