"""The ReplicaSet controller: keep spec.replicas pods, delete in the documented order.

Scale-down order: unscheduled before scheduled; Pending before Unknown before Running;
not Ready before Ready; lower controller.kubernetes.io/pod-deletion-cost first; pods
doubled up on a node first; more recently Ready first; more restarts first; newer first.
(kubernetes.io/docs/concepts/workloads/controllers/replicaset/#scaling-a-replicaset)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.core import labels
from helpers.sim.names import suffix
from helpers.sim.store import Obj, owner_ref
from helpers.sim.workqueue import WorkQueue

if TYPE_CHECKING:
    from helpers.sim.context import Context

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def deletion_order(pods: list) -> list:
    """``pods`` sorted so that the first ones are deleted first."""
    per_node: dict[str, int] = {}
    for p in pods:
        if p.node:
            per_node[p.node] = per_node.get(p.node, 0) + 1

    def key(p):
        cost = int((p.meta.get("annotations") or {}).get(DELETION_COST, 0) or 0)
        return (
            p.node is not None,
            PHASE_RANK.get(p.phase, 2),
            p.is_ready,
            cost,
            -per_node.get(p.node, 0),
            -(p.ready_since or 0.0) if p.is_ready else 0.0,
            -p.restarts,
            -p.created,
        )

    return sorted(pods, key=key)


def available(pod, min_ready: float, now: float) -> bool:
    """Ready for at least ``min_ready`` seconds (what "available" means)."""
    # Compared as now >= ready_since + min_ready, the very sum the controller re-queues at:
    # ``now - ready_since`` can fall 1e-16 short of min_ready at that instant.
    return pod.is_ready and pod.ready_since is not None and now >= pod.ready_since + min_ready


class ReplicaSetController:
    """Creates and deletes pods for every ReplicaSet; keeps their status."""

    def __init__(self, ctx: Context):
        self.store, self.clock, self.api, self.events = ctx.store, ctx.clock, ctx.api, ctx.events
        self._names = ctx.rng("names")
        self.queue = WorkQueue(self.clock, self.sync)
        self._own_update = None  # the RS whose status this controller is writing
        self._relabeled: set[str] = set()
        self.store.watch("ReplicaSet", self._rs_changed)
        self.store.watch("Pod", self._pod_changed)

    def _rs_changed(self, rs, _type) -> None:
        if rs is not self._own_update:
            self.queue.add(rs.uid)

    def _pod_changed(self, pod, _type) -> None:
        if pod.owner:
            self.queue.add(pod.owner)

    def relabeled(self, pod) -> None:
        """A pod's labels changed: its ReplicaSet checks whether it still selects it."""
        self._relabeled.add(pod.uid)
        if pod.owner:
            self.queue.add(pod.owner)

    def sync(self, uid: str) -> None:
        """Reconcile one ReplicaSet."""
        rs = self.store.by_uid.get(uid)
        if rs is None or rs.kind != "ReplicaSet" or rs.deleted:
            return
        pods = self.store.owned(rs, "Pod")
        if self._relabeled:
            reqs = labels.parse(rs.spec.get("selector"))
            for pod in pods:
                if pod.uid in self._relabeled:
                    self._relabeled.discard(pod.uid)
                    if not labels.matches(reqs, pod.labels):
                        self.api.release(pod)  # it no longer matches
            pods = [p for p in pods if p.owner == rs.uid]
        active = [
            p for p in pods if p.deleting_at is None and p.phase not in ("Failed", "Succeeded")
        ]
        want = int(rs.spec.get("replicas", 1))
        if len(active) < want:
            for _ in range(want - len(active)):
                pod = self._create_pod(rs)
                self.events.record(
                    f"replicaset/{rs.name}",
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod.name}",
                    rs.namespace,
                )
                active.append(pod)
        elif len(active) > want:
            for pod in deletion_order(active)[: len(active) - want]:
                self.api.delete_pod(pod)
                self.events.record(
                    f"replicaset/{rs.name}",
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod.name}",
                    rs.namespace,
                )
            active = [p for p in active if p.deleting_at is None]
        self.update_status(rs, active)

    def _create_pod(self, rs: Obj):
        """A new pod of ``rs``, named ``<rs>-<5 chars>`` from the seeded RNG."""
        pods = self.store.objects["Pod"]
        name = f"{rs.name}-{suffix(self._names)}"
        while (rs.namespace, name) in pods:
            name = f"{rs.name}-{suffix(self._names)}"
        return self.api.create_pod_of(rs, name)

    def update_status(self, rs: Obj, active: list) -> None:
        """Set status.replicas / readyReplicas / availableReplicas; announce only changes."""
        now = self.clock.now
        min_ready = float(rs.spec.get("minReadySeconds", 0))
        ready = avail = 0
        soonest = None
        for p in active:
            if p.ready and p.node_ready and p.cstate == "running":
                ready += 1
                if now >= p.ready_since + min_ready:  # the same sum as the wake-up below
                    avail += 1
                elif soonest is None or p.ready_since < soonest:
                    soonest = p.ready_since
        if soonest is not None:
            self.queue.add_at(soonest + min_ready, rs.uid)
        status = {
            "replicas": len(active),
            "fullyLabeledReplicas": len(active),
            "readyReplicas": ready,
            "availableReplicas": avail,
            "observedGeneration": rs.meta.get("generation", 1),
        }
        if status != rs.status:
            self._own_update = rs
            try:
                self.api.write_status(rs, status)
            finally:
                self._own_update = None

    @staticmethod
    def ref(rs: Obj) -> dict:
        """The ownerReference a pod of ``rs`` carries."""
        return owner_ref(rs)
