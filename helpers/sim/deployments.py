"""The Deployment controller: ReplicaSets per template, rolling or Recreate, revisions, status.

A template change makes a ReplicaSet ``<deployment>-<pod-template-hash>`` with the next
revision; `rollout undo` copies an old template back, and the controller then adopts the
old ReplicaSet with that hash and gives it the next revision number. Progress that stalls
for progressDeadlineSeconds sets Progressing=False/ProgressDeadlineExceeded (no automatic
rollback). (kubernetes.io/docs/concepts/workloads/controllers/deployment/)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.sim import rolling
from helpers.sim.deploystatus import compute_status
from helpers.sim.names import template_hash
from helpers.sim.store import Obj, owner_ref
from helpers.sim.workqueue import WorkQueue

if TYPE_CHECKING:
    from helpers.sim.context import Context

REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
HASH = "pod-template-hash"


def revision(rs: Obj) -> int:
    """The revision annotation of a ReplicaSet (0 if absent)."""
    return int((rs.meta.get("annotations") or {}).get(REVISION, 0) or 0)


class DeploymentController:
    """Reconciles every Deployment (one sync per dirty Deployment per instant)."""

    def __init__(self, ctx: Context):
        self.store, self.clock, self.api, self.events = ctx.store, ctx.clock, ctx.api, ctx.events
        self.queue = WorkQueue(self.clock, self.sync)
        self._hashes: dict[str, tuple[int, str]] = {}
        self._writing = None
        self._progress: dict[str, float] = {}
        self.store.watch("Deployment", self._changed)
        # ReplicaSet status carries pod readiness and availability (minReadySeconds
        # included), so pod changes reach this controller through their ReplicaSet.
        self.store.watch("ReplicaSet", self._owned_changed)
        self.store.watch("Pod", self._pod_gone)

    def _changed(self, dep, _type) -> None:
        if dep is not self._writing:
            self.queue.add(dep.uid)

    def _owned_changed(self, rs, _type) -> None:
        if rs.owner:
            self.queue.add(rs.owner)

    def _pod_gone(self, pod, type_) -> None:
        # Recreate waits for old pods to be gone, which no ReplicaSet status shows.
        if type_ == "DELETED":
            rs = self.store.by_uid.get(pod.owner or "")
            if rs is not None and rs.owner:
                self.queue.add(rs.owner)

    # ---- sync -------------------------------------------------------------------------------
    def template_hash(self, dep: Obj) -> str:
        """The pod-template-hash of the Deployment's current template (cached per generation)."""
        gen = dep.meta.get("generation", 1)
        cached = self._hashes.get(dep.uid)
        if cached is None or cached[0] != gen:
            cached = (gen, template_hash(dep.spec["template"]))
            self._hashes[dep.uid] = cached
        return cached[1]

    def sync(self, uid: str) -> None:
        """Reconcile one Deployment."""
        dep = self.store.by_uid.get(uid)
        if (
            dep is None
            or dep.deleted
            or dep.kind != "Deployment"
            or dep.meta.get("deletionTimestamp")
        ):
            return
        rss = sorted(
            self.store.owned(dep, "ReplicaSet"), key=lambda r: (r.meta["creationTimestamp"], r.uid)
        )
        h = self.template_hash(dep)
        new = next((rs for rs in rss if rs.labels.get(HASH) == h), None)
        olds = [rs for rs in rss if rs is not new]
        top = max((revision(rs) for rs in olds), default=0)
        if dep.spec.get("paused") and rss:
            self._paused(dep, new or max(rss, key=revision), rss)
            return
        created = False
        if new is None:
            new = self._create_rs(dep, h, top + 1)
            created = True
        elif revision(new) <= top:
            self.api.annotate(new, {REVISION: str(top + 1)})
        ann = dep.meta.setdefault("annotations", {})
        if ann.get(REVISION) != str(revision(new)):
            ann[REVISION] = str(revision(new))
        if dep.spec.get("strategy", {}).get("type") == "Recreate":
            self._recreate(dep, new, olds)
        elif not self._proportional(dep, new, olds):
            self._rolling(dep, new, olds)
        self._cleanup(dep, olds)
        self._write_status(dep, new, olds, created)

    def _paused(self, dep: Obj, current: Obj, rss: list[Obj]) -> None:
        """A paused Deployment starts no rollout and only follows spec.replicas: the real
        controller's ``sync`` (scale, clean up, status) without ``rolloutRolling``."""
        others = [rs for rs in rss if rs is not current]
        if not self._proportional(dep, current, others):
            active = [rs for rs in rss if int(rs.spec.get("replicas", 0)) > 0] or [current]
            if len(active) == 1:
                self._scale(dep, active[0], int(dep.spec.get("replicas", 1)))
        self._cleanup(dep, others)
        self._write_status(dep, current, others, False)

    def _create_rs(self, dep: Obj, h: str, rev: int) -> Obj:
        template = dep.spec["template"]
        meta = dict(template.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), HASH: h}
        selector = dict(dep.spec["selector"])
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH: h}
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{dep.name}-{h}",
                "namespace": dep.namespace,
                "labels": dict(meta["labels"]),
                "annotations": {
                    REVISION: str(rev),
                    DESIRED: str(dep.spec.get("replicas", 1)),
                    MAX: str(int(dep.spec.get("replicas", 1)) + self._surge(dep)),
                },
                "ownerReferences": [owner_ref(dep)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": dep.spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": {**template, "metadata": meta},
            },
        }
        return self.api.create_object(body)

    def _scale(self, dep: Obj, rs: Obj, size: int) -> None:
        old = int(rs.spec.get("replicas", 0))
        replicas = int(dep.spec.get("replicas", 1))
        ann = rs.meta.setdefault("annotations", {})
        marks = {DESIRED: str(replicas), MAX: str(replicas + self._surge(dep))}
        if old == size and all(ann.get(k) == v for k, v in marks.items()):
            return
        self.api.scale(rs, size, marks)
        if old == size:
            return
        verb = "up" if size > old else "down"
        msg = f"Scaled {verb} replica set {rs.name} from {old} to {size}"
        self.events.record(
            f"deployment/{dep.name}", "Normal", "ScalingReplicaSet", msg, dep.namespace
        )

    @staticmethod
    def _available(rs: Obj) -> int:
        return int(rs.status.get("availableReplicas", 0))

    @staticmethod
    def _surge(dep: Obj) -> int:
        strategy = dep.spec.get("strategy") or {}
        if strategy.get("type") == "Recreate":
            return 0
        return rolling.fenceposts(strategy, int(dep.spec.get("replicas", 1)))[0]

    def _proportional(self, dep: Obj, new: Obj, olds: list[Obj]) -> bool:
        """spec.replicas changed mid-rollout: resize every active ReplicaSet in proportion."""
        replicas = int(dep.spec.get("replicas", 1))
        active = [rs for rs in [new, *olds] if int(rs.spec.get("replicas", 0)) > 0]
        if len(active) < 2:
            return False  # one ReplicaSet: the rolling logic sizes it
        ann = [(rs.meta.get("annotations") or {}).get(DESIRED) for rs in active]
        if all(a is None or a == str(replicas) for a in ann):
            return False  # not a scaling event
        grow = replicas + self._surge(dep) > sum(int(rs.spec["replicas"]) for rs in active)
        # Larger first; ties: newer first when growing, older first when shrinking.
        order = sorted(active, key=lambda rs: (-int(rs.spec["replicas"]), rs.uid), reverse=False)
        if grow:
            order = sorted(active, key=lambda rs: (int(rs.spec["replicas"]), rs.uid), reverse=True)
        maxes = [int((rs.meta.get("annotations") or {}).get(MAX, 0)) or None for rs in order]
        sizes = rolling.proportional_sizes(
            replicas,
            self._surge(dep),
            [int(rs.spec["replicas"]) for rs in order],
            maxes,
            int((dep.status or {}).get("replicas", 0)),
        )
        for rs, size in zip(order, sizes, strict=True):
            self._scale(dep, rs, size)
        return True

    def _rolling(self, dep: Obj, new: Obj, olds: list[Obj]) -> None:
        replicas = int(dep.spec.get("replicas", 1))
        surge, unavailable = rolling.fenceposts(dep.spec.get("strategy") or {}, replicas)
        total = sum(int(rs.spec.get("replicas", 0)) for rs in [new, *olds])
        new_spec = int(new.spec.get("replicas", 0))
        size = rolling.new_scale_up(replicas, surge, total, new_spec)
        if size != new_spec:
            self._scale(dep, new, size)
            return  # one step per sync, as the real controller does
        live = [rs for rs in olds if int(rs.spec.get("replicas", 0)) > 0]
        if not live:
            return
        sizes = rolling.old_scale_down(
            replicas,
            unavailable,
            [(int(rs.spec.get("replicas", 0)), self._available(rs)) for rs in live],
            new_spec,
            self._available(new),
        )
        for rs, size in zip(live, sizes, strict=True):
            self._scale(dep, rs, size)

    def _recreate(self, dep: Obj, new: Obj, olds: list[Obj]) -> None:
        for rs in olds:
            self._scale(dep, rs, 0)
        if any(self.store.owned(rs, "Pod") for rs in olds):
            return  # Recreate waits until every old pod is gone
        self._scale(dep, new, int(dep.spec.get("replicas", 1)))

    def _cleanup(self, dep: Obj, olds: list[Obj]) -> None:
        limit = int(dep.spec.get("revisionHistoryLimit", 10))
        idle = [
            rs
            for rs in olds
            if int(rs.spec.get("replicas", 0)) == 0 and not self.store.owned(rs, "Pod")
        ]
        idle.sort(key=revision)
        for rs in idle[: max(0, len(idle) - limit)]:
            self.api.remove_object(rs)

    def _write_status(self, dep: Obj, new: Obj, olds: list[Obj], created: bool) -> None:
        rss = [rs for rs in [new, *olds] if not rs.deleted]
        status, recheck = compute_status(
            dep, new, rss, self.store, self.clock.now, created, self._progress
        )
        if recheck is not None:
            self.queue.add_at(recheck, dep.uid)
        if status != dep.status:
            self._writing = dep
            try:
                self.api.write_status(dep, status)
            finally:
                self._writing = None
