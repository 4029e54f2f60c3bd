"""A pod's runtime state and how the API server and kubectl show it.

The stored body keeps the spec; everything the kubelet and the node controller change
lives in slots here and is rendered into ``status`` (phase, conditions, containerStatuses)
only when someone reads it, which keeps 30,000 pods cheap.
(kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/)
"""

from __future__ import annotations

from typing import Any

from helpers.sim.clock import iso
from helpers.sim.store import Obj


class Pod(Obj):
    """A pod: its spec (body), its plan (parsed spec) and what the kubelet reports."""

    __slots__ = (
        "backoff",
        "created",
        "cstate",
        "deleting_at",
        "disruption",
        "epoch",
        "evict_at",
        "exit_code",
        "finished_at",
        "ip",
        "last_state",
        "message",
        "node",
        "node_ready",
        "phase",
        "plan",
        "probe_state",
        "pull_backoff",
        "ready",
        "ready_since",
        "reason",
        "restarts",
        "run_started",
        "scheduled_at",
        "server",
        "spread_counted",
        "started",
        "status_reason",
        "stopped_at",
        "unschedulable",
    )  # fmt: skip

    def __init__(self, body: dict[str, Any], plan, now: float):
        super().__init__(body)
        self.plan = plan
        self.created = now
        self.node: str | None = self.spec.get("nodeName")
        self.phase = "Pending"
        self.cstate = "waiting"  # waiting, running or terminated
        self.reason = "ContainerCreating"  # waiting/terminated reason
        self.message = ""
        self.exit_code: int | None = None
        self.started = False  # startupProbe passed (or none)
        self.ready = False  # container ready (probes)
        self.node_ready = True  # False once the node controller marked the node lost
        self.ready_since: float | None = None
        self.restarts = 0
        self.epoch = 0  # bumps whenever pending kubelet callbacks become stale
        self.backoff = 0.0  # next crash-restart delay
        self.pull_backoff = 0.0
        self.server = None
        self.run_started: float | None = None
        self.finished_at: float | None = None
        self.last_state: dict | None = None
        self.scheduled_at: float | None = None
        self.deleting_at: float | None = None
        self.stopped_at: float | None = None
        self.ip = ""
        self.status_reason = ""  # "Evicted" for evicted pods
        self.probe_state: dict = {}
        self.unschedulable = ""  # the last FailedScheduling message
        self.evict_at: float | None = None
        self.spread_counted = False
        self.disruption: dict | None = None  # the DisruptionTarget condition, once written

    def to_json(self) -> dict[str, Any]:
        """The pod as Kubernetes JSON, with spec.nodeName once bound."""
        out = super().to_json()
        if self.node is not None:
            out["spec"]["nodeName"] = self.node
        return out

    @property
    def terminating(self) -> bool:
        """Deleted (deletionTimestamp set) and not gone yet."""
        return self.deleting_at is not None

    @property
    def is_ready(self) -> bool:
        """The pod's Ready condition."""
        return self.ready and self.node_ready and self.cstate == "running" and not self.terminating

    @property
    def active(self) -> bool:
        """Counts for its ReplicaSet: not terminating and not finished."""
        return self.deleting_at is None and self.phase not in ("Failed", "Succeeded")

    @property
    def orphaned(self) -> bool:
        """spec.nodeName names a node that does not exist: no kubelet will ever run it."""
        return self.node is not None and self.scheduled_at is None

    def kubectl_status(self) -> str:
        """STATUS as `kubectl get pods` prints it."""
        if self.terminating:
            return "Terminating"
        if self.orphaned:  # Pending, or Failed once PodGC wrote it just before deleting it
            return self.phase
        if self.status_reason:
            return self.status_reason
        if self.phase == "Succeeded":
            return "Completed"
        if self.node is None:
            return "Pending"
        if self.cstate == "running":
            return "Running"
        return self.reason or "Pending"

    def render_status(self) -> dict[str, Any]:
        """status as the API server returns it."""
        if self.orphaned:  # no scheduler and no kubelet ever wrote to it; PodGC may have
            status: dict[str, Any] = {"phase": self.phase, "qosClass": self.qos()}
            if self.disruption is not None:
                status["conditions"] = [dict(self.disruption)]
            return status
        conds = [_cond("PodScheduled", self.node is not None, self.scheduled_at or self.created)]
        if self.node is None and self.unschedulable:
            conds[0].update(reason="Unschedulable", message=self.unschedulable)
        if self.node is not None:
            ready = self.is_ready
            since = self.ready_since if ready else (self.finished_at or self.scheduled_at)
            conds += [
                _cond("Initialized", True, self.scheduled_at),
                _cond("ContainersReady", ready, since),
                _cond("Ready", ready, since),
            ]
        if self.disruption is not None:
            conds.append(dict(self.disruption))
        status = {"phase": self.phase, "conditions": conds, "qosClass": self.qos()}
        if self.status_reason:
            status.update(reason=self.status_reason, message=self.message)
        if self.node is not None:
            status.update(hostIP=self.host_ip(), podIP=self.ip, startTime=iso(self.scheduled_at))
            status["containerStatuses"] = [self.container_status()]
        return status

    def host_ip(self) -> str:
        """The node's address (derived from the pod's IP: 10.244.<node>.x -> 172.18.0.<node+2>)."""
        part = self.ip.split(".")[2] if self.ip else "0"
        return f"172.18.0.{int(part) + 2}"

    def container_status(self) -> dict[str, Any]:
        """containerStatuses[0]."""
        plan = self.plan
        if self.cstate == "running":
            state = {"running": {"startedAt": iso(self.run_started)}}
        elif self.cstate == "terminated":
            state = {"terminated": self._terminated()}
        else:
            state = {"waiting": {"reason": self.reason}}
            if self.message:
                state["waiting"]["message"] = self.message
        out = {
            "name": plan.container,
            "image": plan.image,
            "imageID": f"docker.io/{plan.image}" if self.run_started is not None else "",
            "ready": self.is_ready,
            "started": self.cstate == "running" and self.started,
            "restartCount": self.restarts,
            "state": state,
            "lastState": self.last_state or {},
        }
        return out

    def _terminated(self) -> dict[str, Any]:
        return {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": iso(self.run_started or 0),
            "finishedAt": iso(self.finished_at or 0),
        }

    def remember_exit(self) -> None:
        """Keep the finished run as lastState (what `kubectl describe` shows)."""
        self.last_state = {"terminated": self._terminated()}

    def qos(self) -> str:
        """The QoS class from requests and limits."""
        p = self.plan
        guaranteed = p.cpu_limit and p.memory_limit and p.cpu_request == p.cpu_limit
        if guaranteed and p.memory_request == p.memory_limit:
            return "Guaranteed"
        if p.cpu_request or p.memory_request or p.cpu_limit or p.memory_limit:
            return "Burstable"
        return "BestEffort"


def _cond(type_: str, ok: bool, since: float | None) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if ok else "False",
        "lastProbeTime": None,
        "lastTransitionTime": iso(since or 0),
    }
