"""Server-side dry run (``?dryRun=All``): the object a write would store, not stored.

Every stage of the write runs as it would (schema validation, admission and defaults,
immutable fields, the namespace, the name and the node ports a Service asks for) except
the last: nothing is stored, no controller hears of it, no resourceVersion moves and no
allocation is kept (a Service's cluster IP and node ports are handed back, and the random
stream they come from is left where it was, so a dry run changes no later outcome). The
answer is the object as the write would have stored it: `kubectl diff` and
`kubectl apply --dry-run=server` show exactly what a real apply would change.
(kubernetes.io/docs/reference/using-api/api-concepts/#dry-run)

Each function is called with the cluster lock held and raises what the real write raises
(ManifestError, NotFound).
"""

from __future__ import annotations

from typing import Any

from helpers.core import manifests
from helpers.sim.admission import add_default_tolerations
from helpers.sim.clock import iso
from helpers.sim.configdata import CONTENT, DATA_KINDS
from helpers.sim.store import json_copy
from helpers.sim.updates import (
    admitted,
    check_delete,
    check_node_patch,
    check_update,
    spec_updates,
    updated_annotations,
)

# The only value the API server accepts (k8s.io/apimachinery metav1 validation: DryRunAll).
DRY_RUN_ALL = "All"


def apply(api, doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The object ``apply_one(api, doc, namespace)`` would store (create or update), as JSON.

    Raises:
        ManifestError: the document is refused, as the real write would refuse it.
        NotFound: its namespace does not exist.
    """
    kind, ns, spec, existing = admitted(api, doc, namespace, dry_run=True)
    if existing is None:
        return _created(api, doc, kind, ns, spec)
    return updated(api, existing, doc["metadata"], spec)


def _created(api, doc: dict, kind: str, ns: str | None, spec: dict) -> dict[str, Any]:
    meta = doc["metadata"]
    out_meta: dict[str, Any] = {"name": meta["name"]}
    if ns is not None:
        out_meta["namespace"] = ns
    # The uid the object would get (the simulator's are deterministic); none is taken.
    out_meta.update(uid=api.store.next_uid(), generation=1, creationTimestamp=iso(api.clock.now))
    for key in ("labels", "annotations", "ownerReferences", "generateName"):
        if meta.get(key):
            out_meta[key] = json_copy(meta[key])
    out = {"apiVersion": doc["apiVersion"], "kind": kind, "metadata": out_meta}
    if kind in DATA_KINDS:
        del out_meta["generation"]
        return {**out, **json_copy(spec)}
    if kind == "Namespace":
        out["spec"] = {"finalizers": ["kubernetes"]}
        out["status"] = {"phase": "Active"}
        return out
    if kind == "Pod":
        spec = add_default_tolerations(spec)
    out["spec"] = json_copy(spec)
    out["status"] = {"phase": "Pending"} if kind == "Pod" else {}
    return out


def updated(api, obj, meta: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as JSON after ``update(api, obj, meta, spec)`` would run, ``obj`` unchanged
    (its status as a read renders it: a PodDisruptionBudget's is computed).

    Raises:
        ManifestError: an immutable field would change.
    """
    check_update(obj, spec)
    out = api.get(obj.kind, obj.name, obj.namespace)
    out_meta = out["metadata"]
    for key, value in (("labels", dict(meta.get("labels") or {})),
                       ("annotations", updated_annotations(obj, meta))):  # fmt: skip
        if value:
            out_meta[key] = json_copy(value)
        else:
            out_meta.pop(key, None)
    if obj.kind in DATA_KINDS:
        for key in CONTENT[obj.kind]:
            out.pop(key, None)
        out.update(json_copy(spec))
    elif spec_updates(obj) and spec != obj.spec:
        out["spec"] = json_copy(spec)
        out_meta["generation"] = obj.meta.get("generation", 1) + 1
    return out


def patch(api, obj, merge: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as JSON after the JSON merge patch ``merge`` (as SimApiServer.patch), unstored."""
    if obj.kind == "Node":
        check_node_patch(merge)
        out = api.get(obj.kind, obj.name, None)
        new_labels = manifests.merge_patch(
            obj.labels, (merge.get("metadata") or {}).get("labels") or {}
        )
        out["metadata"]["labels"] = new_labels
        spec = merge.get("spec") or {}
        if "unschedulable" in spec:
            if spec["unschedulable"]:
                out.setdefault("spec", {})["unschedulable"] = True
            else:
                out.get("spec", {}).pop("unschedulable", None)
        return out
    with api.addresses.provisional():
        doc, spec = api.patched(obj, merge)
    return updated(api, obj, doc["metadata"], spec)


def delete(api, obj) -> dict[str, Any]:
    """The object as a delete would leave it, unstored: a pod marked for graceful deletion
    (deletionTimestamp, deletionGracePeriodSeconds), any other object as it is.

    Raises:
        ManifestError: the delete is refused (a node, a system namespace), as for real.
    """
    check_delete(obj)
    out = api.get(obj.kind, obj.name, obj.namespace)
    if obj.kind == "Pod" and not obj.meta.get("deletionTimestamp"):
        grace = obj.plan.grace
        out["metadata"]["deletionTimestamp"] = iso(api.clock.now + grace)
        out["metadata"]["deletionGracePeriodSeconds"] = int(grace)
    return out
