"""Object lifecycles inside the API server: creating pods, binding, graceful deletion, cascades.

These are the writes controllers make through the API (``SimApiServer``), with the garbage
collector's background cascade for owners that are deleted. The scheduler and the kubelet
hear of new, bound and deleted pods at once, in this order, as their informers would.
"""

from __future__ import annotations

from helpers.sim import podspec
from helpers.sim.admission import add_default_tolerations
from helpers.sim.clock import iso
from helpers.sim.configdata import DATA_KINDS
from helpers.sim.pods import Pod
from helpers.sim.store import Obj, owner_ref

# kube-controller-manager's PodGC treats a node as gone once it has been missing for 40 s
# (quarantineTime in pkg/controller/podgc), then deletes the pods bound to it.
PODGC_QUARANTINE_S = 40.0


class ObjectLifecycle:
    """Creation, binding and deletion of objects (the API server's object writes).

    ``scheduler`` and ``kubelet`` are connected after construction (they are built from a
    Context that holds the API server): the scheduler's queue and node accounting, and the
    kubelet that runs bound pods and confirms deleted ones gone.
    """

    def __init__(self, store, clock, events, addresses):
        self.store, self.clock, self.events, self.addresses = store, clock, events, addresses
        self.scheduler = None
        self.kubelet = None
        self._templates: dict[str, tuple] = {}

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
        if body["kind"] in DATA_KINDS:
            del body["metadata"]["generation"]  # ConfigMaps and Secrets have no generation
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

    def create_pod_of(self, rs: Obj, name: str) -> Pod:
        """A new pod ``name`` from ReplicaSet ``rs``'s template (admitted once per template)."""
        template, spec, plan, refs = self._rs_template(rs)
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
        # Stored unbound even when spec.nodeName names a node: watchers see the pod before
        # its binding (a bound pod's status carries the binding's time).
        wanted, pod.node = pod.node, None
        node = None if wanted is None else self.store.find("Node", wanted, None)
        if wanted is not None and node is None:
            # spec.nodeName names no node: the scheduler skips the pod and no kubelet runs
            # it, so it stays Pending until PodGC deletes it as an orphan.
            pod.node = wanted
            self.store.add(pod)
            self.clock.call_later(PODGC_QUARANTINE_S, self._collect_orphan, pod)
            return pod
        self.store.add(pod)
        if node is None:
            self.scheduler.add(pod)
        else:
            self.bind(pod, node, scheduled=False)  # spec.nodeName given: no scheduler
        return pod

    def _collect_orphan(self, pod: Pod) -> None:
        """PodGC's orphan pass: a pod bound to a node that does not exist is deleted at once
        (grace 0), whether Pending or already Terminating.

        As kube-controller-manager's PodGC does (pkg/controller/podgc/gc_controller.go,
        markFailedAndDeletePodWithCondition), a pod not yet in a terminal phase is first
        written Failed with the condition DisruptionTarget (reason DeletionByPodGC), so a
        watcher sees that status before the deletion.
        """
        if pod.deleted or self.store.find("Node", pod.node, None) is not None:
            return
        if pod.phase not in ("Succeeded", "Failed"):
            pod.phase = "Failed"
            pod.disruption = {
                "type": "DisruptionTarget",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": iso(self.clock.now),
                "reason": "DeletionByPodGC",
                "message": "PodGC: node no longer exists",
            }
            self.store.changed(pod)
        self.store.remove(pod)

    def bind(self, pod: Pod, node, scheduled: bool = True) -> None:
        """The Binding subresource: ``pod`` goes to ``node``, whose kubelet starts it.

        ``scheduled=False`` for a pod created with spec.nodeName: the scheduler never saw
        it, so there is no Scheduled event.
        """
        pod.node = node.name  # spec.nodeName is rendered from it (the spec may be shared)
        pod.scheduled_at = self.clock.now
        pod.unschedulable = ""
        pod.ip = self.addresses.pod_ip(node)
        self.scheduler.account(pod, node, 1)
        if scheduled:
            msg = f"Successfully assigned {pod.namespace}/{pod.name} to {node.name}"
            self.events.record(f"pod/{pod.name}", "Normal", "Scheduled", msg, pod.namespace)
        self.store.changed(pod)
        if node.up:
            self.kubelet.bound(pod)

    def unschedulable(self, pod: Pod, message: str) -> None:
        """The scheduler's status update: PodScheduled=False, reason Unschedulable."""
        pod.unschedulable = message
        self.store.changed(pod)

    def delete_pod(self, pod: Pod, grace: float | None = None) -> None:
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

    def remove_pod(self, pod: Pod) -> None:
        """The kubelet's final delete (grace 0): the pod stopped, or never ran."""
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
                self.delete_pod(child)
            else:
                self.remove_object(child)
