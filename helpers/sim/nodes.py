"""Nodes: their objects, and the node lifecycle controller with its taint-based evictions.

A stopped node's kubelet stops renewing its heartbeat. After --node-monitor-grace-period
the controller sets Ready=Unknown, taints the node ``node.kubernetes.io/unreachable``
(NoSchedule and NoExecute) and marks its pods not Ready; each pod is then evicted when its
toleration of that taint runs out (300 s from the DefaultTolerationSeconds admission plugin).
(kubernetes.io/docs/concepts/architecture/nodes/#node-controller,
kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from helpers.core.course import COURSE
from helpers.sim.clock import iso
from helpers.sim.quantity import cpu_text, memory_text
from helpers.sim.store import Obj

if TYPE_CHECKING:
    from helpers.sim.context import Context

# The kubelet's heartbeat is its node Lease, renewed every 25 % of nodeLeaseDurationSeconds;
# the node lifecycle controller judges a node by it. Both come from cluster/kind.yaml, as on
# the course's kind cluster (classroom knobs: lease 20 s, so every 5 s; grace period 20 s).
HEARTBEAT_S = COURSE.lease_renew_interval
# 5 s: how often the node lifecycle controller looks at heartbeats (--node-monitor-period).
MONITOR_S = 5.0
# --node-monitor-grace-period: the course cluster's (20 s), else Kubernetes' 50 s.
GRACE_S = COURSE.node_monitor_grace_period
# 110: the kubelet's default maxPods.
MAX_PODS = 110
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


class Node(Obj):
    """A node object plus what the scheduler and kubelet keep about it."""

    __slots__ = (
        "cpu",
        "cpu_req",
        "index",
        "level",
        "lost_at",
        "mem",
        "mem_req",
        "pods",
        "ready",
        "role",
        "stopped_at",
        "up",
    )  # fmt: skip

    def __init__(self, body: dict[str, Any], index: int, role: str, cpu: float, mem: float):
        super().__init__(body)
        self.index, self.role, self.cpu, self.mem = index, role, cpu, mem
        self.cpu_req = 0.0
        self.mem_req = 0.0
        self.pods: dict[str, Any] = {}  # pod uid -> pod bound here
        self.ready = "True"
        self.up = True  # the kubelet is running
        self.stopped_at: float | None = None
        self.lost_at: float | None = None
        self.level = -1  # the scheduler's allocation bucket (-1: not in a bucket)

    @property
    def taints(self) -> list[dict[str, Any]]:
        """spec.taints (never None)."""
        return self.spec.get("taints") or []

    @property
    def unschedulable(self) -> bool:
        """spec.unschedulable (cordoned)."""
        return bool(self.spec.get("unschedulable"))

    def render_status(self) -> dict[str, Any]:
        """status as the API server returns it."""
        res = {"cpu": cpu_text(self.cpu), "memory": memory_text(self.mem), "pods": str(MAX_PODS)}
        since = iso(self.lost_at if self.lost_at is not None else 0)
        if self.ready == "True":
            ready = {
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
            }
        else:
            ready = {
                "status": "Unknown",
                "reason": "NodeStatusUnknown",
                "message": "Kubelet stopped posting node status.",
            }
        conds = [
            {"type": t, "status": "False" if ready["status"] == "True" else "Unknown",
             "reason": f"KubeletHas{r}" if ready["status"] == "True" else "NodeStatusUnknown",
             "lastTransitionTime": since}
            for t, r in (("MemoryPressure", "SufficientMemory"), ("DiskPressure", "NoDiskPressure"), ("PIDPressure", "SufficientPID"))
        ]  # fmt: skip
        conds.append({"type": "Ready", **ready, "lastTransitionTime": since})
        return {
            "capacity": dict(res),
            "allocatable": dict(res),
            "conditions": conds,
            "addresses": [
                {"type": "InternalIP", "address": f"172.18.0.{self.index + 2}"},
                {"type": "Hostname", "address": self.name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.36.1",  # the course cluster's (cluster/tools.lock)
                "osImage": "simulated",
                "architecture": "amd64",
            },
        }


def tolerates(tolerations, taint: dict[str, Any]) -> bool:
    """True when one of the pod's tolerations (tuples from PodPlan) matches ``taint``."""
    for key, op, value, effect, _secs in tolerations:
        if effect and effect != taint["effect"]:
            continue
        if key in (None, "") and op == "Exists":
            return True
        if key != taint["key"]:
            continue
        if op == "Exists" or (value or "") == (taint.get("value") or ""):
            return True
    return False


def toleration_seconds(tolerations, taint: dict[str, Any]) -> float | None:
    """How long a pod tolerates a NoExecute ``taint``: None = not at all, inf = forever."""
    best = None
    for tol in tolerations:
        if tolerates((tol,), taint):
            secs = math.inf if tol[4] is None else float(tol[4])
            best = secs if best is None else max(best, secs)
    return best


def next_monitor_tick(t: float) -> float:
    """The first node-monitor tick at or after ``t``."""
    return math.ceil(t / MONITOR_S - 1e-9) * MONITOR_S


class NodeLifecycle:
    """Marks silent nodes Unknown, taints them, and evicts pods whose tolerations expire."""

    def __init__(self, ctx: Context, kubelet, grace: float = GRACE_S):
        self.store, self.clock, self.api, self.events = ctx.store, ctx.clock, ctx.api, ctx.events
        self.kubelet, self.grace = kubelet, grace

    def stopped(self, node: Node) -> None:
        """The node's kubelet went silent: check once its grace period has passed."""
        # The last heartbeat was the previous whole period of this node's kubelet.
        last = math.floor(self.clock.now / HEARTBEAT_S) * HEARTBEAT_S
        when = next_monitor_tick(last + self.grace + 1e-6)
        self.clock.call_at(when, self._check, node, node.stopped_at)

    def _check(self, node: Node, stopped_at) -> None:
        if node.up or node.stopped_at != stopped_at or node.deleted:
            return
        node.ready, node.lost_at = "Unknown", self.clock.now
        taints = [t for t in node.taints if t["key"] != UNREACHABLE]
        taints += [
            {"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": iso(self.clock.now)},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": iso(self.clock.now)},
        ]
        node.spec["taints"] = taints
        msg = f"Node {node.name} status is now: NodeNotReady"
        self.events.record(f"node/{node.name}", "Normal", "NodeNotReady", msg, None)
        self.store.changed(node)
        for pod in list(node.pods.values()):
            self.events.record(
                f"pod/{pod.name}", "Warning", "NodeNotReady", "Node is not ready", pod.namespace
            )
            self.api.mark_not_ready(pod)  # MarkPodsNotReady: a status update through the API
        self._plan_evictions(node)

    def _plan_evictions(self, node: Node) -> None:
        taint = {"key": UNREACHABLE, "effect": "NoExecute"}
        for pod in list(node.pods.values()):
            secs = toleration_seconds(pod.plan.tolerations, taint)
            if secs is None:
                secs = 0.0
            if secs == math.inf or pod.terminating:
                continue
            pod.evict_at = self.clock.now + secs
            self.clock.call_at(pod.evict_at, self._evict, node, pod, node.lost_at)

    def _evict(self, node: Node, pod, lost_at) -> None:
        if node.lost_at != lost_at or pod.deleted or pod.terminating or pod.node != node.name:
            return
        key = f"{pod.namespace}/{pod.name}"
        self.events.record(
            f"pod/{pod.name}",
            "Normal",
            "TaintManagerEviction",
            f"Marking for deletion Pod {key}",
            pod.namespace,
        )
        self.api.delete_pod(pod)

    def started(self, node: Node) -> None:
        """The kubelet reports again: Ready, taints lifted, pods resynced."""
        was_lost = node.ready != "True"
        node.ready, node.lost_at = "True", None
        node.spec["taints"] = [t for t in node.taints if t["key"] not in (UNREACHABLE, NOT_READY)]
        if was_lost:
            msg = f"Node {node.name} status is now: NodeReady"
            self.events.record(f"node/{node.name}", "Normal", "NodeReady", msg, None)
        self.store.changed(node)
        for pod in list(node.pods.values()):
            pod.evict_at = None
            self.kubelet.node_started(pod)  # the kubelet reports its pods Ready again
