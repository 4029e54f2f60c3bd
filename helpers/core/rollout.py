"""Reading a Deployment's rollout state, as `kubectl rollout status` does, plus early failure.

A pure function of the Deployment object and the pod rows, shared by both backends'
``wait_rollout`` and by the views' rollout bar.
(kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpers.core.state import PodRow

# Pod statuses that mean the new pods will not become Ready without a change by a person.
FATAL_POD_STATUSES = (
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "CrashLoopBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
)


@dataclass(frozen=True)
class RolloutState:
    """Where a rollout stands: ``state`` is "progressing", "complete" or "stuck"."""

    state: str
    reason: str
    message: str
    desired: int = 0
    updated: int = 0
    available: int = 0
    total: int = 0


def template_image(deployment: dict[str, Any], container: str | None = None) -> str:
    """The image of the named (default: first) container of a Deployment's pod template."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    for c in containers:
        if container is None or c["name"] == container:
            return c["image"]
    return containers[0]["image"]


def new_revision_candidates(deployment: dict[str, Any], pods: list[PodRow]) -> list[PodRow]:
    """Pods that may belong to the Deployment's newest revision and are in a fatal state.

    Only these need the (costlier) ReplicaSet look-up that tells the new revision apart:
    a leftover crash-looping pod of an older ReplicaSet with the same image, or a pod
    already terminating, says nothing about the rollout under way.
    """
    name, image = deployment["metadata"]["name"], template_image(deployment)
    return [
        p
        for p in pods
        if p.get("owner") == name
        and p["image"] == image
        and p["status"] in FATAL_POD_STATUSES
        and p["status"] != "Terminating"
    ]


def rollout_state(
    deployment: dict[str, Any], pods: list[PodRow], new_hash: str | None = None
) -> RolloutState:
    """Classify a rollout from the Deployment (Kubernetes JSON) and its pods' rows.

    The order is kubectl's (kubectl/pkg/polymorphichelpers/rollout_status.go): nothing is
    read from status until ``status.observedGeneration`` has caught up with
    ``metadata.generation``, so a condition left from the previous spec (a passed progress
    deadline before an undo) never ends a wait early. Before kubectl would time out, a pod
    of the new revision that cannot start (``new_hash``: its ReplicaSet's
    pod-template-hash; None matches by image) ends the wait with its reason.

    Example:
        >>> rollout_state(cluster.get("deployment", "model"), cluster.snapshot()["pods"]).state
        'complete'
    """
    name = deployment["metadata"]["name"]
    spec, status = deployment.get("spec", {}), deployment.get("status", {}) or {}
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0) or 0)
    available = int(status.get("availableReplicas", 0) or 0)
    total = int(status.get("replicas", 0) or 0)
    counts = dict(desired=desired, updated=updated, available=available, total=total)
    generation = deployment.get("metadata", {}).get("generation", 0)
    observed = status.get("observedGeneration", 0) or 0
    if observed < generation:
        return RolloutState(
            "progressing",
            "Waiting",
            "Waiting for deployment spec update to be observed...",
            **counts,
        )
    for cond in status.get("conditions", []) or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return RolloutState(
                "stuck",
                "ProgressDeadlineExceeded",
                f'deployment "{name}" exceeded its progress deadline: {cond.get("message", "")}',
                **counts,
            )
    image = template_image(deployment)
    for pod in new_revision_candidates(deployment, pods):
        if new_hash is None or (pod.get("labels") or {}).get("pod-template-hash") == new_hash:
            return RolloutState(
                "stuck",
                pod["status"],
                f"pod {pod['name']} of the new revision is in {pod['status']} ({image})",
                **counts,
            )
    if updated < desired:
        msg = f"{updated} out of {desired} new replicas have been updated..."
    elif total > updated:
        msg = f"{total - updated} old replicas are pending termination..."
    elif available < updated:
        msg = f"{available} of {updated} updated replicas are available..."
    else:
        return RolloutState(
            "complete",
            "NewReplicaSetAvailable",
            f'deployment "{name}" successfully rolled out',
            **counts,
        )
    return RolloutState(
        "progressing",
        "ReplicaSetUpdated",
        f'Waiting for deployment "{name}" rollout to finish: {msg}',
        **counts,
    )
