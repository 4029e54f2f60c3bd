"""The columns and cells ``kubectl get`` prints for each kind, computed by the server.

Column names, priorities (1: only with ``-o wide``) and cell formats follow the real
server's table printers (k8s.io/kubernetes pkg/printers/internalversion/printers.go):
``READY 2/3``, ``RESTARTS 1 (5m ago)``, ``PORT(S) 80:30080/TCP``, ``<none>`` for empty.
"""

from __future__ import annotations

from collections.abc import Callable

NONE = "<none>"

# name, type, priority per kind; "Age" cells come from the caller's age function.
COLUMNS: dict[str, list[tuple[str, str, int]]] = {
    "Pod": [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0),
            ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1),
            ("Node", "string", 1), ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1)],
    "Deployment": [("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "string", 0),
                   ("Available", "string", 0), ("Age", "string", 0), ("Containers", "string", 1),
                   ("Images", "string", 1), ("Selector", "string", 1)],
    "ReplicaSet": [("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                   ("Ready", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1),
                   ("Images", "string", 1), ("Selector", "string", 1)],
    "Service": [("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0),
                ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0),
                ("Selector", "string", 1)],
    "Node": [("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0),
             ("Age", "string", 0), ("Version", "string", 0), ("Internal-IP", "string", 1),
             ("External-IP", "string", 1), ("OS-Image", "string", 1),
             ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)],
    "Event": [("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0),
              ("Object", "string", 0), ("Subobject", "string", 1), ("Source", "string", 1),
              ("Message", "string", 0), ("First Seen", "string", 1), ("Count", "string", 1),
              ("Name", "string", 1)],
    "Endpoints": [("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)],
    "HorizontalPodAutoscaler": [("Name", "string", 0), ("Reference", "string", 0),
                                ("Targets", "string", 0), ("MinPods", "string", 0),
                                ("MaxPods", "string", 0), ("Replicas", "string", 0),
                                ("Age", "string", 0)],
    "PodDisruptionBudget": [("Name", "string", 0), ("Min Available", "string", 0),
                            ("Max Unavailable", "string", 0),
                            ("Allowed Disruptions", "integer", 0), ("Age", "string", 0)],
    "Namespace": [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
    "ConfigMap": [("Name", "string", 0), ("Data", "string", 0), ("Age", "string", 0)],
    "Secret": [("Name", "string", 0), ("Type", "string", 0), ("Data", "string", 0),
               ("Age", "string", 0)],
}  # fmt: skip
GENERIC = [("Name", "string", 0), ("Age", "string", 0)]


def _pod(o: dict, age: Callable) -> list:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    ready = restarts = 0
    last_restart = None
    for cs in reversed(status.get("containerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished
        state = cs.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            term = state["terminated"]
            reason = term.get("reason") or f"ExitCode:{term.get('exitCode', 0)}"
        elif cs.get("ready") and "running" in state:
            ready += 1
    if o["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    restart_text = str(restarts) + (f" ({age(last_restart)} ago)" if last_restart else "")
    return [
        o["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", reason,
        restart_text, age(o["metadata"].get("creationTimestamp")), status.get("podIP") or NONE,
        spec.get("nodeName") or NONE, status.get("nominatedNodeName") or NONE, NONE,
    ]  # fmt: skip


def _selector(sel: dict | None) -> str:
    if not sel:
        return NONE
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or sel).items() if isinstance(v, str)]
    for expr in sel.get("matchExpressions") or []:
        parts.append(
            f"{expr['key']} {expr['operator'].lower()} ({','.join(expr.get('values', []))})"
        )
    return ",".join(parts) or NONE


def _containers(o: dict) -> list[str]:
    containers = o["spec"]["template"]["spec"]["containers"]
    return [",".join(c["name"] for c in containers), ",".join(c["image"] for c in containers)]


def _deployment(o: dict, age: Callable) -> list:
    s, spec = o.get("status") or {}, o["spec"]
    return [
        o["metadata"]["name"], f"{s.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        s.get("updatedReplicas", 0), s.get("availableReplicas", 0),
        age(o["metadata"].get("creationTimestamp")), *_containers(o), _selector(spec.get("selector")),
    ]  # fmt: skip


def _replicaset(o: dict, age: Callable) -> list:
    s, spec = o.get("status") or {}, o["spec"]
    return [
        o["metadata"]["name"], spec.get("replicas", 1), s.get("replicas", 0),
        s.get("readyReplicas", 0), age(o["metadata"].get("creationTimestamp")),
        *_containers(o), _selector(spec.get("selector")),
    ]  # fmt: skip


def _service(o: dict, age: Callable) -> list:
    spec = o["spec"]
    kind = spec.get("type", "ClusterIP")
    ports = []
    for p in spec.get("ports") or []:
        node_port = f":{p['nodePort']}" if p.get("nodePort") and kind != "ClusterIP" else ""
        ports.append(f"{p['port']}{node_port}/{p.get('protocol', 'TCP')}")
    external = "<pending>" if kind == "LoadBalancer" else NONE
    return [
        o["metadata"]["name"], kind, spec.get("clusterIP") or NONE, external,
        ",".join(ports) or NONE, age(o["metadata"].get("creationTimestamp")),
        _selector(spec.get("selector")),
    ]  # fmt: skip


def _node(o: dict, age: Callable) -> list:
    status, meta = o.get("status") or {}, o["metadata"]
    ready = [c for c in status.get("conditions") or [] if c["type"] == "Ready"]
    states = ["Ready" if ready[0]["status"] == "True" else "NotReady"] if ready else ["Unknown"]
    if (o.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix) :] for k in meta.get("labels") or {} if k.startswith(prefix))
    info = status.get("nodeInfo") or {}
    internal = [a["address"] for a in status.get("addresses") or [] if a["type"] == "InternalIP"]
    return [
        meta["name"], ",".join(states), ",".join(roles) or NONE,
        age(meta.get("creationTimestamp")), info.get("kubeletVersion", ""),
        internal[0] if internal else NONE, NONE, info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>", info.get("containerRuntimeVersion") or "<unknown>",
    ]  # fmt: skip


def _event(o: dict, age: Callable) -> list:
    involved, source = o.get("involvedObject") or {}, o.get("source") or {}
    first = age(o.get("firstTimestamp"))
    last = age(o.get("lastTimestamp")) if o.get("lastTimestamp") else first
    where = ", ".join(x for x in (source.get("component"), source.get("host")) if x)
    return [
        last, o.get("type", ""), o.get("reason", ""),
        f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""), where, (o.get("message") or "").strip(), first,
        str(o.get("count", 1)), o["metadata"]["name"],
    ]  # fmt: skip


def _endpoints(o: dict, age: Callable) -> list:
    pairs = [
        f"{a['ip']}:{p['port']}"
        for subset in o.get("subsets") or []
        for p in subset.get("ports") or []
        for a in subset.get("addresses") or []
    ]
    text = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [o["metadata"]["name"], text or NONE, age(o["metadata"].get("creationTimestamp"))]


def _hpa(o: dict, age: Callable) -> list:
    spec, status = o["spec"], o.get("status") or {}
    ref = spec["scaleTargetRef"]
    current = {
        m["resource"]["name"]: m["resource"].get("current", {})
        for m in status.get("currentMetrics") or []
        if m.get("type") == "Resource"
    }
    targets = []
    for m in spec.get("metrics") or []:
        if m.get("type") != "Resource":
            continue
        name, target = m["resource"]["name"], m["resource"]["target"]
        now = current.get(name, {}).get("averageUtilization")
        now_text = "<unknown>" if now is None else f"{now}%"
        targets.append(f"{name}: {now_text}/{target.get('averageUtilization', '?')}%")
    return [
        o["metadata"]["name"], f"{ref['kind']}/{ref['name']}", ", ".join(targets) or NONE,
        str(spec.get("minReplicas", "<unset>")), str(spec["maxReplicas"]),
        str(status.get("currentReplicas", 0)), age(o["metadata"].get("creationTimestamp")),
    ]  # fmt: skip


def _pdb(o: dict, age: Callable) -> list:
    spec = o["spec"]
    return [
        o["metadata"]["name"], str(spec.get("minAvailable", "N/A")),
        str(spec.get("maxUnavailable", "N/A")),
        (o.get("status") or {}).get("disruptionsAllowed", 0),
        age(o["metadata"].get("creationTimestamp")),
    ]  # fmt: skip


def _namespace(o: dict, age: Callable) -> list:
    phase = (o.get("status") or {}).get("phase", "Active")
    return [o["metadata"]["name"], phase, age(o["metadata"].get("creationTimestamp"))]


def _generic(o: dict, age: Callable) -> list:
    return [o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))]


def _data_count(o: dict) -> int:
    return len(o.get("data") or {}) + len(o.get("binaryData") or {})


def _configmap(o: dict, age: Callable) -> list:
    meta = o["metadata"]
    return [meta["name"], _data_count(o), age(meta.get("creationTimestamp"))]


def _secret(o: dict, age: Callable) -> list:
    meta = o["metadata"]
    return [
        meta["name"],
        o.get("type", "Opaque"),
        _data_count(o),
        age(meta.get("creationTimestamp")),
    ]


CELLS: dict[str, Callable[[dict, Callable], list]] = {
    "Pod": _pod, "Deployment": _deployment, "ReplicaSet": _replicaset, "Service": _service,
    "Node": _node, "Event": _event, "Endpoints": _endpoints, "HorizontalPodAutoscaler": _hpa,
    "PodDisruptionBudget": _pdb, "Namespace": _namespace, "ConfigMap": _configmap,
    "Secret": _secret,
}  # fmt: skip


def columns(kind: str) -> list[tuple[str, str, int]]:
    """The (name, type, priority) columns of ``kind`` (Name and Age for others)."""
    return COLUMNS.get(kind, GENERIC)


def cells(kind: str, obj: dict, age: Callable[[str | None], str]) -> list:
    """One row's cells; ``age(timestamp)`` formats a time as kubectl's AGE does."""
    return CELLS.get(kind, _generic)(obj, age)
