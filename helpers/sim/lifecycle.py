"""Object lifecycles inside the simulator: creating pods, binding, graceful deletion, cascades.

The controllers call these; they are the simulated API server's writes (with the
garbage collector's background cascade for owners that are deleted).
"""

from __future__ import annotations

from helpers.sim import podspec
from helpers.sim.admission import add_default_tolerations
from helpers.sim.clock import iso
from helpers.sim.names import suffix
from helpers.sim.pods import Pod
from helpers.sim.store import Obj, owner_ref


class Lifecycle:
    """Mixin of SimCluster: object creation and deletion shared by controllers and verbs."""

    def _meta(self, meta: dict, namespace: str | None) -> dict:
        out = {
            "name": meta["name"],
            **({"namespace": namespace} if namespace is not None else {}),
            "uid": self.store.new_uid(),
            "generation": 1,
            "creationTimestamp": iso(self.clock.now),
        }
        for key in ("labels", "annotations", "ownerReferences", "generateName"):
            if meta.get(key):
                out[key] = dict(meta[key]) if isinstance(meta[key], dict) else list(meta[key])
        return out

    def create_object(self, body: dict) -> Obj:
        """Store a new non-pod object (body already admitted) and return it."""
        body = {**body, "metadata": self._meta(body["metadata"], body["metadata"].get("namespace"))}
        obj = Obj(body)
        self.store.add(obj)
        return obj

    def _rs_template(self, rs: Obj):
        """(template, admitted pod spec, plan, owner refs): shared by every pod of ``rs``.

        Pods of one ReplicaSet share these (read-only) dicts, as 30,000 copies would cost
        memory and time; to_json deep-copies before anything leaves the simulator.
        """
        template = rs.spec["template"]
        cached = self._templates.get(rs.uid)
        if cached is None or cached[0] is not template:
            spec = add_default_tolerations(template["spec"])
            cached = (template, spec, podspec.plan(spec), [owner_ref(rs)])
            self._templates[rs.uid] = cached
        return cached

    def create_pod_from(self, rs: Obj) -> Pod:
        """A new pod of ReplicaSet ``rs`` (name ``<rs>-<5 chars>`` from the seeded RNG)."""
        template, spec, plan, refs = self._rs_template(rs)
        rng = self.rng("names")
        pods = self.store.objects["Pod"]
        name = f"{rs.name}-{suffix(rng)}"
        while (rs.namespace, name) in pods:
            name = f"{rs.name}-{suffix(rng)}"
        tmeta = template.get("metadata") or {}
        meta = {
            "name": name,
            "generateName": f"{rs.name}-",
            "namespace": rs.namespace,
            "uid": self.store.new_uid(),
            "generation": 1,
            "creationTimestamp": iso(self.clock.now),
            "labels": tmeta.get("labels") or {},
            "ownerReferences": refs,
        }
        if tmeta.get("annotations"):
            meta["annotations"] = tmeta["annotations"]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        return self._add_pod(body, plan)

    def create_pod(self, body: dict, spec: dict) -> Pod:
        """A pod from a manifest (spec admitted); DefaultTolerationSeconds is added."""
        spec = add_default_tolerations(spec)
        meta = self._meta(body["metadata"], body["metadata"]["namespace"])
        return self._add_pod(
            {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}, podspec.plan(spec)
        )

    def _add_pod(self, body: dict, plan) -> Pod:
        pod = Pod(body, plan, self.clock.now)
        self.store.add(pod)
        if pod.node is None:
            self.scheduler.add(pod)
        else:
            node = self.store.find("Node", pod.node, None)
            if node is None:
                pod.node = None
                self.scheduler.add(pod)
            else:
                pod.node = None
                self.bind(pod, node)
        return pod

    def bind(self, pod: Pod, node) -> None:
        """Bind ``pod`` to ``node`` (the scheduler's Binding) and hand it to the kubelet."""
        pod.node = node.name  # spec.nodeName is rendered from it (the spec may be shared)
        pod.scheduled_at = self.clock.now
        pod.unschedulable = ""
        n = self._ip_next.get(node.name, 2)
        self._ip_next[node.name] = 2 + (n - 1) % 253
        pod.ip = f"10.244.{node.index}.{n}"
        self.scheduler.account(pod, node, 1)
        msg = f"Successfully assigned {pod.namespace}/{pod.name} to {node.name}"
        self.record_event(f"pod/{pod.name}", "Normal", "Scheduled", msg, pod.namespace)
        self.store.changed(pod)
        if node.up:
            self.kubelet.bound(pod)

    def kubelet_mark_ready(self, pod: Pod, ready: bool) -> None:
        """The kubelet's readiness result for the pod's container."""
        if pod.ready == ready:
            return
        pod.ready = ready
        if ready:
            pod.ready_since = self.clock.now
        self.store.changed(pod)

    def delete_pod_object(self, pod: Pod, grace: float | None = None) -> None:
        """Graceful deletion: deletionTimestamp now + grace; the kubelet does the rest."""
        if pod.terminating or pod.deleted:
            return
        grace = pod.plan.grace if grace is None else grace
        pod.deleting_at = self.clock.now
        pod.meta["deletionTimestamp"] = iso(self.clock.now + grace)
        pod.meta["deletionGracePeriodSeconds"] = int(grace)
        self.scheduler.spread(pod, -1)
        self.store.changed(pod)
        self.kubelet.terminate(pod)

    def pod_gone(self, pod: Pod) -> None:
        """The kubelet confirmed the pod stopped (or it never ran): remove the object."""
        if pod.deleted:
            return
        if pod.node is not None:
            node = self.store.find("Node", pod.node, None)
            if node is not None:
                self.scheduler.account(pod, node, -1)
        self.store.remove(pod)
        self.scheduler.retry_soon()

    def remove_object(self, obj: Obj) -> None:
        """Delete an object; what it owns is deleted in the background (pods gracefully)."""
        if obj.deleted:
            return
        obj.meta["deletionTimestamp"] = iso(self.clock.now)
        children = list(self.store.owned(obj))
        self.store.remove(obj)
        self._templates.pop(obj.uid, None)
        for child in children:
            if isinstance(child, Pod):
                self.delete_pod_object(child)
            else:
                self.remove_object(child)

    def owner_name(self, pod: Pod) -> str | None:
        """The Deployment a pod belongs to, else its ReplicaSet, else None."""
        rs = self.store.by_uid.get(pod.owner or "")
        if rs is None:
            return None
        dep = self.store.by_uid.get(rs.owner or "")
        return dep.name if dep is not None else rs.name
