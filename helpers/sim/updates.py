"""How apply (create or update) and patch change stored objects: the API server's write path.

A spec change bumps metadata.generation; labels and annotations are replaced, except the
annotations the system owns (the Deployment revision); a pod's spec and a workload's
selector are immutable. A node takes only cordoning and labels here.
"""

from __future__ import annotations

import contextlib

from helpers.core import manifests
from helpers.errors import ManifestError, NotFound
from helpers.sim import admission, configdata
from helpers.sim.topology import set_cordon

SYSTEM_ANNOTATIONS = ("deployment.kubernetes.io/revision",)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def new_body(doc: dict, kind: str, ns: str | None, spec: dict) -> dict:
    """The body a create stores: apiVersion, kind, metadata and the admitted spec (a
    ConfigMap's or Secret's content at the top level instead)."""
    body = {
        "apiVersion": doc["apiVersion"],
        "kind": kind,
        "metadata": {**doc["metadata"], "namespace": ns},
    }
    if kind in configdata.DATA_KINDS:
        body.update(spec)
    else:
        body["spec"] = spec
    return body


def target_namespace(api, kind: str, meta: dict, namespace: str) -> str | None:
    """The namespace a document goes to (None: cluster-scoped); NotFound if it is absent."""
    ns = (meta.get("namespace") or namespace) if kind in admission.NAMESPACED else None
    if ns is not None and api.store.find("Namespace", ns, None) is None:
        raise NotFound(
            f'namespaces "{ns}" not found.', f"Create it first: apply a Namespace named {ns}."
        )
    return ns


def admitted(api, doc: dict, namespace: str, dry_run: bool = False):
    """(kind, namespace, admitted spec, the stored object or None) for a create or update
    of ``doc``: checked, defaulted, a Service's addresses filled in (handed back again on
    a dry run); an update of a Deployment without spec.replicas keeps the current count."""
    kind = admission.check_kind(doc)
    meta = doc["metadata"]
    ns = target_namespace(api, kind, meta, namespace)
    spec = admission.admit(doc)
    existing = api.store.find(kind, meta["name"], ns)
    if kind == "Service":
        with api.addresses.provisional() if dry_run else contextlib.nullcontext():
            api.addresses.service(spec, existing, api.store)
    if existing is not None and kind == "Deployment" and "replicas" not in (doc.get("spec") or {}):
        spec["replicas"] = existing.spec.get("replicas", 1)
    return kind, ns, spec, existing


def apply_one(api, doc: dict, namespace: str) -> str:
    """Create or update one document; returns "kind/name"."""
    kind, ns, spec, existing = admitted(api, doc, namespace)
    meta = doc["metadata"]
    if existing is None:
        body = new_body(doc, kind, ns, spec)
        if kind == "Pod":
            api.objects.create_pod(body, spec)
        else:
            if kind == "Namespace":
                body["metadata"].pop("namespace", None)
                body.pop("spec")
                body["status"] = {"phase": "Active"}
            obj = api.create_object(body)
            if kind == "Namespace":
                obj.status = {"phase": "Active"}
    else:
        update(api, existing, meta, spec)
    return f"{kind.lower()}/{meta['name']}"


def check_update(obj, spec: dict) -> None:
    """Refuse what an update may not change (ManifestError): a pod's spec beyond its
    tolerations, a Deployment's or ReplicaSet's selector, an immutable ConfigMap's data."""
    if obj.kind in configdata.DATA_KINDS:
        configdata.check_update(obj.kind, obj.spec, spec)
    if obj.kind == "Pod" and {
        k: v for k, v in spec.items() if k not in ("tolerations", "nodeName")
    } != {k: v for k, v in obj.spec.items() if k not in ("tolerations", "nodeName")}:
        raise ManifestError(
            f"pod {obj.name}: spec is immutable (Forbidden: pod updates may not change fields other than image and a few others).",
            "Delete the pod and apply it again, or manage pods through a Deployment.",
        )
    if obj.kind in ("Deployment", "ReplicaSet") and spec.get("selector") != obj.spec.get(
        "selector"
    ):
        raise ManifestError(
            f"{obj.kind.lower()}/{obj.name}: spec.selector: Invalid value: field is immutable.",
            "Delete the object and apply it again to change its selector.",
        )


def updated_annotations(obj, meta: dict) -> dict:
    """The annotations after an update: the document's, plus those the system owns."""
    ann = {k: v for k, v in (obj.meta.get("annotations") or {}).items() if k in SYSTEM_ANNOTATIONS}
    ann.update(meta.get("annotations") or {})
    return ann


def spec_updates(obj) -> bool:
    """Whether an update writes the spec (a pod's is fixed, a Namespace has none)."""
    return obj.kind not in ("Pod", "Namespace", *configdata.DATA_KINDS)


def update(api, obj, meta: dict, spec: dict) -> None:
    """Update a stored object from an admitted document (apply or patch): spec, labels,
    annotations; generation moves with the spec. Immutable fields raise ManifestError."""
    check_update(obj, spec)
    changed = False
    labels_new = dict(meta.get("labels") or {})
    if labels_new != obj.labels:
        api.store.set_labels(obj, labels_new)
        changed = True
        if obj.kind == "Pod":
            api.replicasets.relabeled(obj)
    ann = updated_annotations(obj, meta)
    if ann != (obj.meta.get("annotations") or {}):
        obj.meta["annotations"] = ann
        changed = True
    if obj.kind in configdata.DATA_KINDS and spec != obj.spec:
        for key in configdata.CONTENT[obj.kind]:
            obj.body.pop(key, None)
        obj.body.update(spec)
        obj.spec = spec
        changed = True
    elif spec_updates(obj) and spec != obj.spec:
        obj.body["spec"] = obj.spec = spec
        obj.meta["generation"] = obj.meta.get("generation", 1) + 1
        changed = True
    if changed:
        api.store.changed(obj)
        if obj.kind == "Service":
            api.endpoints.resync(obj)
            api.store.changed(obj)


def check_node_patch(patch: dict) -> None:
    """Refuse a node patch beyond cordoning and labels (ManifestError)."""
    spec = patch.get("spec") or {}
    if set(spec) - {"unschedulable"} or set(patch) - {"spec", "metadata"}:
        raise ManifestError(
            "Only spec.unschedulable (cordon) and labels of a node can change here."
        )


def patch_node(api, node, patch: dict) -> None:
    """A node patch: cordon (spec.unschedulable) and labels, nothing else."""
    check_node_patch(patch)
    spec = patch.get("spec") or {}
    if "metadata" in patch:
        api.store.set_labels(
            node, manifests.merge_patch(node.labels, (patch["metadata"] or {}).get("labels") or {})
        )
    if "unschedulable" in spec:
        set_cordon(node, bool(spec["unschedulable"]), api.clock.now)
    api.store.changed(node)
    api.objects.scheduler.node_changed(node)


def check_delete(obj) -> None:
    """Refuse a delete the simulator does not take (ManifestError): a node, a system namespace."""
    if obj.kind == "Node":
        raise ManifestError(
            "Deleting nodes is not simulated.",
            "Use cluster.stop_node(name) to take a worker away.",
        )
    if obj.kind == "Namespace" and obj.name in SYSTEM_NAMESPACES:
        raise ManifestError(f'namespace "{obj.name}" is a system namespace and cannot be deleted.')
