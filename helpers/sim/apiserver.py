"""The simulated API server's verbs: apply (create or update), get, list, patch, delete.

Apply is create-or-update: re-applying the same manifest changes nothing (same generation,
no new ReplicaSet); a spec change bumps metadata.generation. As with `kubectl apply`, a
Deployment manifest without spec.replicas keeps the current replica count (an HPA's).
"""

from __future__ import annotations

from typing import Any

from helpers.core import labels, manifests
from helpers.core.kinds import KINDS, canonical_kind
from helpers.errors import ManifestError, NotFound
from helpers.sim import admission, podspec
from helpers.sim.clock import paused_gc
from helpers.sim.services import budget

SYSTEM_ANNOTATIONS = ("deployment.kubernetes.io/revision",)


class ApiServer:
    """Mixin of SimCluster: the object verbs, under the cluster lock."""

    def _find(self, kind: str, name: str, namespace: str | None):
        kind = canonical_kind(kind)
        ns = namespace if kind in admission.NAMESPACED else None
        obj = self.store.find(kind, name, ns)
        if obj is None:
            raise NotFound(
                f'{KINDS[kind].resource if kind in KINDS else kind.lower()} "{name}" not found'
                + (f" in namespace {ns}" if ns else "")
                + "."
            )
        return obj

    def apply(self, source, namespace: str = "default") -> list[str]:
        """Create or update every object in ``source``; returns ``["deployment/model", ...]``.

        Example:
            >>> cluster.apply("cluster/manifests/model-deployment.yaml")
            ['deployment/model']
        """
        docs = manifests.load(source)
        with self._lock, paused_gc():
            out = [self._apply_one(doc, namespace) for doc in docs]
            self._settle()
        return out

    def _apply_one(self, doc: dict, namespace: str) -> str:
        kind = admission.check_kind(doc)
        meta = doc["metadata"]
        ns = (meta.get("namespace") or namespace) if kind in admission.NAMESPACED else None
        if ns is not None and self.store.find("Namespace", ns, None) is None:
            raise NotFound(
                f'namespaces "{ns}" not found.', f"Create it first: apply a Namespace named {ns}."
            )
        spec = admission.admit(doc)
        existing = self.store.find(kind, meta["name"], ns)
        if kind == "Service":
            self._service_addresses(spec, existing)
        if existing is None:
            body = {
                "apiVersion": doc["apiVersion"],
                "kind": kind,
                "metadata": {**meta, "namespace": ns},
                "spec": spec,
            }
            if kind == "Pod":
                self.create_pod(body, spec)
            else:
                if kind == "Namespace":
                    body["metadata"].pop("namespace", None)
                    body.pop("spec")
                    body["status"] = {"phase": "Active"}
                obj = self.create_object(body)
                if kind == "Namespace":
                    obj.status = {"phase": "Active"}
        else:
            if kind == "Deployment" and "replicas" not in (doc.get("spec") or {}):
                spec["replicas"] = existing.spec.get("replicas", 1)
            self._update(existing, meta, spec)
        return f"{kind.lower()}/{meta['name']}"

    def _service_addresses(self, spec: dict, existing) -> None:
        """A cluster IP (10.96.0.0/12) and node ports (30000-32767) kept across re-applies."""
        old = existing.spec if existing is not None else {}
        spec.setdefault("clusterIP", old.get("clusterIP") or self._next_cluster_ip())
        spec["clusterIPs"] = [spec["clusterIP"]]
        if spec["type"] not in ("NodePort", "LoadBalancer"):
            return
        old_ports = {p.get("port"): p.get("nodePort") for p in old.get("ports") or []}
        used = {
            p.get("nodePort")
            for svc in self.store.of_kind("Service")
            for p in svc.spec.get("ports") or []
        }
        rng = self.rng("nodeports")
        for port in spec["ports"]:
            if port.get("nodePort") is None:
                port["nodePort"] = old_ports.get(port["port"])
            while port["nodePort"] is None or port["nodePort"] in used - set(old_ports.values()):
                port["nodePort"] = rng.randint(30000, 32767)

    def _next_cluster_ip(self) -> str:
        # 10.96.0.1 is the kubernetes Service and 10.96.0.10 kube-dns on kind.
        self._cluster_ips += 1
        n = self._cluster_ips
        return f"10.96.{n // 256}.{n % 256}"

    def _update(self, obj, meta: dict, spec: dict) -> None:
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
        changed = False
        labels_new = dict(meta.get("labels") or {})
        if labels_new != obj.labels:
            obj.meta["labels"] = labels_new
            changed = True
            if obj.kind == "Pod":
                self.replicasets.relabeled(obj)
        ann = {
            k: v for k, v in (obj.meta.get("annotations") or {}).items() if k in SYSTEM_ANNOTATIONS
        }
        ann.update(meta.get("annotations") or {})
        if ann != (obj.meta.get("annotations") or {}):
            obj.meta["annotations"] = ann
            changed = True
        if obj.kind != "Pod" and obj.kind != "Namespace" and spec != obj.spec:
            obj.body["spec"] = obj.spec = spec
            obj.meta["generation"] = obj.meta.get("generation", 1) + 1
            changed = True
        if changed:
            self.store.changed(obj)
            if obj.kind == "Service":
                self.endpoints_ctl.resync(obj)
                self.store.changed(obj)

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """The object as Kubernetes JSON, status included; NotFound if absent."""
        with self._lock:
            if canonical_kind(kind) == "Endpoints":
                return self.endpoints_ctl.to_json(self._find("Service", name, namespace))
            obj = self._find(kind, name, namespace)
            out = obj.to_json()
            if obj.kind == "PodDisruptionBudget":
                out["status"] = budget(obj, self.store.of_kind("Pod", obj.namespace))
            return out

    def list_objects(
        self, kind: str, namespace: str | None = "default", selector=None
    ) -> list[dict[str, Any]]:
        """Objects of a kind as Kubernetes JSON (namespace None: all namespaces)."""
        kind = canonical_kind(kind)
        reqs = labels.parse(selector)
        with self._lock:
            if kind == "Event":
                return self.event_log.objects(namespace)
            if kind == "Endpoints":
                return [
                    self.endpoints_ctl.to_json(s) for s in self.store.of_kind("Service", namespace)
                ]
            ns = namespace if kind in admission.NAMESPACED else None
            objs = self.store.of_kind(kind, ns)
            return [
                self.get(kind, o.name, o.namespace) for o in objs if labels.matches(reqs, o.labels)
            ]

    def patch(self, kind: str, name: str, patch: dict, namespace: str = "default") -> dict:
        """Merge ``patch`` into the object (JSON merge patch: dicts merge, lists replace)."""
        with self._lock, paused_gc():
            obj = self._find(kind, name, namespace)
            if obj.kind == "Node":
                self._patch_node(obj, patch)
            else:
                # merge_patch builds new dicts along the patched paths; admission copies
                # the spec, so the stored object is never shared with the result.
                base = {
                    "apiVersion": obj.body["apiVersion"],
                    "kind": obj.kind,
                    "metadata": obj.meta,
                    "spec": obj.spec,
                }
                doc = manifests.merge_patch(base, patch)
                spec = admission.admit(doc) if obj.kind != "Pod" else podspec.default(doc["spec"])
                self._update(obj, doc["metadata"], spec)
            self._settle()
            return obj.to_json()

    def _patch_node(self, node, patch: dict) -> None:
        spec = patch.get("spec") or {}
        if set(spec) - {"unschedulable"} or set(patch) - {"spec", "metadata"}:
            raise ManifestError(
                "Only spec.unschedulable (cordon) and labels of a node can change here."
            )
        if "metadata" in patch:
            node.meta["labels"] = manifests.merge_patch(
                node.labels, (patch["metadata"] or {}).get("labels") or {}
            )
        if "unschedulable" in spec:
            self.set_cordon(node, bool(spec["unschedulable"]))
        self.store.changed(node)
        self.scheduler.node_changed(node)

    def delete(self, kind: str, name: str, namespace: str = "default") -> None:
        """Delete an object; pods terminate gracefully, owners cascade in the background."""
        with self._lock, paused_gc():
            obj = self._find(kind, name, namespace)
            if obj.kind == "Pod":
                self.delete_pod_object(obj)
            elif obj.kind == "Node":
                raise ManifestError(
                    "Deleting nodes is not simulated.",
                    "Use cluster.stop_node(name) to take a worker away.",
                )
            elif obj.kind == "Namespace":
                if obj.name in ("default", "kube-system", "kube-public", "kube-node-lease"):
                    raise ManifestError(
                        f'namespace "{obj.name}" is a system namespace and cannot be deleted.'
                    )
                for kind_ in (
                    "Deployment",
                    "ReplicaSet",
                    "Service",
                    "HorizontalPodAutoscaler",
                    "PodDisruptionBudget",
                    "Pod",
                ):
                    for child in self.store.of_kind(kind_, obj.name):
                        self._delete_obj(child)
                self.store.remove(obj)
            else:
                self._delete_obj(obj)
            self._settle()

    def _delete_obj(self, obj) -> None:
        if obj.kind == "Pod":
            self.delete_pod_object(obj)
        else:
            self.remove_object(obj)
