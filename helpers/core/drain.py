"""Which pods `kubectl drain` may evict: its filters, run over every pod of the node first.

kubectl lists the pods bound to the node in all namespaces and passes each through its
filters in order; the first filter that keeps a pod decides for it. If any filter found an
error, the drain stops before a single eviction. The filters, in kubectl's order:

- a DaemonSet's pod: its controller would recreate it at once (DaemonSets ignore the
  cordon), so it is an error unless ``ignore_daemonsets``, and even then it is left
  running, never evicted. A pod whose DaemonSet no longer exists is an orphan: evicted with
  ``force``, else an error naming the missing DaemonSet;
- a mirror pod (the API server's copy of a kubelet's static pod): skipped;
- a pod with an emptyDir volume: its data dies with it; an error unless
  ``delete_emptydir_data``;
- a pod that declares no controller: nothing recreates it; an error unless ``force``.

Finished pods (Succeeded or Failed) pass every filter.
(k8s.io/kubectl/pkg/drain/filters.go and drain.go;
kubernetes.io/docs/reference/kubectl/generated/kubectl_drain/)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpers.errors import LabError

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
# The annotation the kubelet puts on the API server's copy of a static pod.
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

# What each error asks for, in this API's words.
_HINTS = {
    DAEMONSET_FATAL: "ignore_daemonsets=True (kubectl drain --ignore-daemonsets) to leave "
    "DaemonSet pods running",
    LOCAL_STORAGE_FATAL: "delete_emptydir_data=True (--delete-emptydir-data) to accept losing "
    "their emptyDir data",
    UNMANAGED_FATAL: "force=True (--force) to delete bare pods for good (no controller makes "
    "them again)",
}


def controller_of(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The pod's ownerReference with ``controller: true`` (metav1.GetControllerOf), or None."""
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    return next((r for r in refs if r.get("controller")), None)


def _finished(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _verdict(pod: dict, options: dict, daemonset_exists: Callable[[str, str], bool]):
    """("evict" | "skip" | "error", message) for one pod, the filters in kubectl's order."""
    meta = pod.get("metadata") or {}
    ref = controller_of(pod)
    if ref is not None and ref.get("kind") == "DaemonSet" and not _finished(pod):
        if daemonset_exists(meta.get("namespace", "default"), ref.get("name", "")):
            if not options["ignore_daemonsets"]:
                return "error", DAEMONSET_FATAL
            return "skip", "ignoring DaemonSet-managed Pods"
        if not options["force"]:  # an orphan: only --force evicts it (on to the next filters)
            return "error", f'daemonsets.apps "{ref.get("name")}" not found'
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        return "skip", ""
    volumes = (pod.get("spec") or {}).get("volumes") or []
    local = any("emptyDir" in v for v in volumes) and not _finished(pod)
    if local and not options["delete_emptydir_data"]:
        return "error", LOCAL_STORAGE_FATAL
    if ref is None and not _finished(pod) and not options["force"]:
        return "error", UNMANAGED_FATAL
    return "evict", ""


def pods_to_evict(
    pods: list[dict[str, Any]],
    node: str,
    daemonset_exists: Callable[[str, str], bool],
    force: bool = False,
    ignore_daemonsets: bool = False,
    delete_emptydir_data: bool = False,
) -> list[tuple[str, str]]:
    """(namespace, name) of the pods on ``node`` that drain evicts, in namespace/name order.

    Raises:
        LabError: kubectl's refusal ("cannot delete Pods that declare no controller (use
            --force to override): default/x"), before anything is evicted.

    Example:
        >>> pods_to_evict(cluster.list_objects("Pod", None), "orchestra-worker", exists)
        [('default', 'model-6d4b9c7f5-x2k9p')]
    """
    options = {
        "force": force,
        "ignore_daemonsets": ignore_daemonsets,
        "delete_emptydir_data": delete_emptydir_data,
    }
    mine = [p for p in pods if (p.get("spec") or {}).get("nodeName") == node]
    mine.sort(key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
    evict, failed = [], {}
    for pod in mine:
        meta = pod["metadata"]
        kind, message = _verdict(pod, options, daemonset_exists)
        key = (meta.get("namespace", "default"), meta["name"])
        if kind == "evict":
            evict.append(key)
        elif kind == "error":
            failed.setdefault(message, []).append("/".join(key))
    if failed:
        raise _refusal(node, failed)
    return evict


def _refusal(node: str, failed: dict[str, list[str]]) -> LabError:
    # kubectl words each error "cannot delete <reason>: ns/pod, ns/pod" and aggregates
    # several as "[a, b]".
    errors = [
        f"{msg if msg.startswith('cannot delete') else 'cannot delete ' + msg}: {', '.join(pods)}"
        for msg, pods in failed.items()
    ]
    text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    fixes = [_HINTS[msg] for msg in failed if msg in _HINTS]
    hint = (
        "Pass " + ", and ".join(fixes) if fixes else "Pass force=True to evict orphaned pods"
    ) + ", then drain again."
    return LabError(
        f'unable to drain node "{node}": {text}. The node is cordoned; nothing was evicted.',
        hint,
    )
