"""The STATUS column of `kubectl get pods`, computed from a pod's JSON as kubectl does.

This follows kubectl's pod printer (printPod in kubernetes/kubernetes
pkg/printers/internalversion/printers.go): start from the phase, let ``status.reason``
(e.g. Evicted) override it, then init containers, then the app containers from last to
first (a waiting reason such as CrashLoopBackOff or ImagePullBackOff wins, then a
terminated reason such as OOMKilled, Error or Completed), and finally Terminating when the
pod has a deletionTimestamp and has not finished.
"""

from __future__ import annotations

from typing import Any

# Set by the node lifecycle controller on pods of a node that stopped answering.
NODE_UNREACHABLE_REASON = "NodeLost"


def _condition_true(pod: dict[str, Any], kind: str) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status") == "True"
    return False


def _exit_text(terminated: dict[str, Any], prefix: str = "") -> str:
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _init_status(pod: dict[str, Any]) -> str | None:
    """``Init:...`` while an init container has not finished, else None."""
    spec_inits = (pod.get("spec") or {}).get("initContainers") or []
    sidecars = {c["name"] for c in spec_inits if c.get("restartPolicy") == "Always"}
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    for i, cs in enumerate(statuses):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode", 0) == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            continue
        if terminated:
            reason = terminated.get("reason")
            return f"Init:{reason}" if reason else _exit_text(terminated, "Init:")
        if waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return f"Init:{waiting['reason']}"
        return f"Init:{i}/{len(spec_inits)}"
    return None


def pod_status(pod: dict[str, Any]) -> str:
    """What `kubectl get pods` prints in STATUS for this pod.

    Example:
        >>> pod_status({"status": {"phase": "Pending", "containerStatuses": [
        ...     {"state": {"waiting": {"reason": "ContainerCreating"}}}]}})
        'ContainerCreating'
    """
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    init = _init_status(pod)
    if init is not None:
        reason = init
    if init is None or _condition_true(pod, "Initialized"):
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = _exit_text(terminated)
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"
    deleting = (pod.get("metadata") or {}).get("deletionTimestamp")
    if deleting and status.get("reason") == NODE_UNREACHABLE_REASON:
        return "Unknown"
    if deleting and status.get("phase") not in ("Succeeded", "Failed"):
        return "Terminating"
    return reason


def restarts(pod: dict[str, Any]) -> int:
    """The RESTARTS column: restarts of the app containers (init ones while initializing)."""
    status = pod.get("status") or {}
    return sum(int(cs.get("restartCount", 0)) for cs in status.get("containerStatuses") or [])
