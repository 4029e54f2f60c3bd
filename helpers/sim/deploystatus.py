"""A Deployment's status as the controller writes it: counts and the two conditions.

Available is True once availableReplicas >= replicas - maxUnavailable
(MinimumReplicasAvailable). Progressing is True while the rollout moves (NewReplicaSetCreated,
FoundNewReplicaSet, ReplicaSetUpdated), True/NewReplicaSetAvailable when it is complete,
and False/ProgressDeadlineExceeded when nothing moved for progressDeadlineSeconds.
(kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status)
"""

from __future__ import annotations

from typing import Any

from helpers.sim import rolling
from helpers.sim.clock import iso

# 600 s: the default progressDeadlineSeconds.
DEFAULT_DEADLINE_S = 600


def _counts(rss) -> dict[str, int]:
    out = {"replicas": 0, "ready": 0, "available": 0}
    for rs in rss:
        st = rs.status
        out["replicas"] += st.get("replicas", 0)
        out["ready"] += st.get("readyReplicas", 0)
        out["available"] += st.get("availableReplicas", 0)
    return out


def _condition(type_, status, reason, message, now, previous) -> dict[str, Any]:
    cond = {
        "type": type_,
        "status": status,
        "lastUpdateTime": iso(now),
        "lastTransitionTime": iso(now),
        "reason": reason,
        "message": message,
    }
    if previous is not None and previous.get("status") == status:
        cond["lastTransitionTime"] = previous["lastTransitionTime"]
    return cond


def compute_status(dep, new, rss, store, now: float, created: bool, memo: dict):
    """(status dict, time to re-check the progress deadline or None).

    ``memo`` keeps, per Deployment uid, the virtual time of its last progress.
    """
    replicas = int(dep.spec.get("replicas", 1))
    old = dep.status or {}
    counts = _counts(rss)
    updated = new.status.get("replicas", 0)
    status: dict[str, Any] = {
        "observedGeneration": dep.meta.get("generation", 1),
        "replicas": counts["replicas"],
        "updatedReplicas": updated,
        "readyReplicas": counts["ready"],
        "availableReplicas": counts["available"],
    }
    if replicas - counts["available"] > 0:
        status["unavailableReplicas"] = replicas - counts["available"]
    status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
    prev = {c["type"]: c for c in old.get("conditions", [])}
    _, unavailable = (
        rolling.fenceposts(dep.spec.get("strategy") or {}, replicas)
        if (dep.spec.get("strategy") or {}).get("type") != "Recreate"
        else (0, 0)
    )
    if counts["available"] >= replicas - unavailable:
        avail = _condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
            prev.get("Available"),
        )
    else:
        avail = _condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
            prev.get("Available"),
        )
    if prev.get("Available") and prev["Available"]["status"] == avail["status"]:
        avail = prev["Available"]
    progressing, recheck = _progressing(
        dep, new, status, old, prev.get("Progressing"), now, created, replicas, memo
    )
    status["conditions"] = [avail, progressing]
    return status, recheck


def _progressing(dep, new, status, old, prev, now, created, replicas, memo):
    """The Progressing condition, following the controller's syncRolloutStatus."""
    deadline = float(dep.spec.get("progressDeadlineSeconds", DEFAULT_DEADLINE_S))
    name = new.name
    reason = prev["reason"] if prev else None
    if (
        not created
        and reason == "NewReplicaSetAvailable"
        and status.get("replicas", 0) == status.get("updatedReplicas", 0)
    ):
        return prev, None  # a finished rollout: no progress is estimated until the next one
    complete = (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
    )
    moved = (
        status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or status.get("replicas", 0) < old.get("replicas", 0)
        or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )
    if complete:
        msg = f'ReplicaSet "{name}" has successfully progressed.'
        return _condition("Progressing", "True", "NewReplicaSetAvailable", msg, now, prev), None
    if created:
        msg = f'Created new replica set "{name}"'
        cond = _condition("Progressing", "True", "NewReplicaSetCreated", msg, now, prev)
    elif moved:
        msg = f'ReplicaSet "{name}" is progressing.'
        cond = _condition("Progressing", "True", "ReplicaSetUpdated", msg, now, prev)
    elif prev is None or reason == "NewReplicaSetAvailable":
        msg = f'Found new replica set "{name}"'
        cond = _condition("Progressing", "True", "FoundNewReplicaSet", msg, now, prev)
    else:
        cond = prev
    if cond is not prev:
        memo[dep.uid] = now
    if cond["reason"] == "ProgressDeadlineExceeded":
        return cond, None
    started = memo.get(dep.uid, now)
    if now >= started + deadline:
        msg = f'ReplicaSet "{name}" has timed out progressing.'
        return _condition("Progressing", "False", "ProgressDeadlineExceeded", msg, now, prev), None
    return cond, started + deadline
