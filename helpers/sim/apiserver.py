"""The simulated API server: ``SimApiServer``, its verbs and the controllers' writes.

Verbs by name, as a front end (SimCluster, an HTTP server) calls them: apply (create or
update), get, list, patch (merge), delete (graceful), evict, update_status; each takes the
cluster lock and lets controllers react before returning. Writes on objects, as
controllers make them from inside a sync: create_object, create_pod_of, bind,
delete_pod, remove_pod, remove_object (``ObjectLifecycle``).

Apply is create-or-update: re-applying the same manifest changes nothing (same generation,
no new ReplicaSet); a spec change bumps metadata.generation. As with `kubectl apply`, a
Deployment manifest without spec.replicas keeps the current replica count (an HPA's).
"""

from __future__ import annotations

from typing import Any

from helpers.core import labels, manifests, validation
from helpers.core.kinds import KINDS, canonical_kind
from helpers.errors import NotFound
from helpers.sim import admission, dryrun, podspec
from helpers.sim.addresses import Addresses
from helpers.sim.budgets import budget, eviction_allowed
from helpers.sim.clock import paused_gc
from helpers.sim.configdata import DATA_KINDS
from helpers.sim.lifecycle import ObjectLifecycle
from helpers.sim.updates import apply_one, check_delete, patch_node, update

# Objects the endpoint controllers keep: rendered from each Service when read.
ENDPOINT_KINDS = ("Endpoints", "EndpointSlice")


class SimApiServer:
    """The API server of one simulated cluster: storage, admission, verbs, object writes.

    Args:
        store: the objects (helpers.sim.store.Store).
        clock: the cluster clock; verbs run it to the current instant before returning.
        lock: the cluster lock (an RLock) every verb holds.
        events: the EventRecorder (Event objects are listed from its log).
        rng: seeded random streams (node ports).

    ``connect`` names the components it informs synchronously, as informers would: the
    scheduler and kubelet, the ReplicaSet controller (relabeled pods), the endpoints
    controller (Endpoints objects).

    Example:
        >>> api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        ['namespace/demo']
    """

    def __init__(self, store, clock, lock, events, rng):
        self.store, self.clock, self.lock, self.events = store, clock, lock, events
        self.addresses = Addresses(rng)
        self.objects = ObjectLifecycle(store, clock, events, self.addresses)
        self.replicasets = None
        self.endpoints = None

    def connect(self, scheduler, kubelet, replicasets, endpoints) -> None:
        """Name the components the API server informs synchronously."""
        self.objects.scheduler, self.objects.kubelet = scheduler, kubelet
        self.replicasets, self.endpoints = replicasets, endpoints

    # ---- the controllers' writes (no settling: they run inside a clock callback) -----------
    def create_object(self, body: dict):
        """Store a new non-pod object (body already admitted)."""
        return self.objects.create_object(body)

    def create_pod_of(self, rs, name: str):
        """Create pod ``name`` from ReplicaSet ``rs``'s template."""
        return self.objects.create_pod_of(rs, name)

    def bind(self, pod, node) -> None:
        """Bind ``pod`` to ``node`` (pods/binding)."""
        self.objects.bind(pod, node)

    def unschedulable(self, pod, message: str) -> None:
        """Record why ``pod`` fits no node (its PodScheduled condition)."""
        self.objects.unschedulable(pod, message)

    def mark_not_ready(self, pod) -> None:
        """The node controller's status update: Ready=False for a pod on a lost node."""
        pod.node_ready = False
        self.store.changed(pod)

    def write_status(self, obj, status: dict) -> None:
        """A controller's status update (ReplicaSet, Deployment status)."""
        obj.status = status
        self.store.changed(obj)

    def scale(self, obj, replicas: int, annotations: dict) -> None:
        """Set spec.replicas (the scale subresource) and annotate, in one update."""
        obj.spec["replicas"] = replicas
        obj.meta.setdefault("annotations", {}).update(annotations)
        self.store.changed(obj)

    def annotate(self, obj, annotations: dict) -> None:
        """Merge ``annotations`` into the object's metadata."""
        obj.meta.setdefault("annotations", {}).update(annotations)
        self.store.changed(obj)

    def release(self, pod) -> None:
        """Drop a pod's controller reference (its owner no longer selects it)."""
        self.store.set_owner(pod, None)
        self.store.changed(pod)

    def delete_pod(self, pod, grace: float | None = None) -> None:
        """Delete ``pod`` gracefully (grace None: its terminationGracePeriodSeconds)."""
        self.objects.delete_pod(pod, grace)

    def remove_pod(self, pod) -> None:
        """The kubelet's final delete of a pod that stopped (grace period 0)."""
        self.objects.remove_pod(pod)

    def remove_object(self, obj) -> None:
        """Delete a non-pod object; what it owns goes in the background."""
        self.objects.remove_object(obj)

    # ---- verbs by name -----------------------------------------------------------------------
    def find(self, kind: str, name: str, namespace: str | None):
        """The stored object; NotFound names the resource as kubectl does."""
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
        with self.lock, paused_gc():
            out = [apply_one(self, doc, namespace) for doc in docs]
        return out

    def dry_run_apply(self, source, namespace: str = "default") -> list[tuple[dict | None, dict]]:
        """(live object or None, the object apply would store) per object in ``source``;
        nothing is stored (helpers.sim.dryrun). Raises what apply raises."""
        docs = manifests.load(source)
        out = []
        with self.lock:
            for doc in docs:
                merged = dryrun.apply(self, doc, namespace)
                meta = merged["metadata"]
                try:
                    live = self.get(merged["kind"], meta["name"], meta.get("namespace"))
                except NotFound:
                    live = None
                out.append((live, merged))
        return out

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """The object as Kubernetes JSON, status included; NotFound if absent."""
        with self.lock:
            if canonical_kind(kind) in ENDPOINT_KINDS:  # rendered from the Services
                services = self.store.of_kind("Service", namespace)
                return self.endpoints.find(canonical_kind(kind), name, services)
            obj = self.find(kind, name, namespace)
            out = obj.to_json()
            if obj.kind == "PodDisruptionBudget":
                reqs = labels.parse(obj.spec["selector"])
                out["status"] = budget(obj, self.store.select("Pod", obj.namespace, reqs))
            return out

    def list_objects(
        self, kind: str, namespace: str | None = "default", selector=None
    ) -> list[dict[str, Any]]:
        """Objects of a kind as Kubernetes JSON (namespace None: all namespaces)."""
        kind = canonical_kind(kind)
        reqs = labels.parse(selector)
        with self.lock:
            if kind == "Event":
                return self.events.log.objects(namespace)
            if kind in ENDPOINT_KINDS:
                objs = self.endpoints.objects(kind, self.store.of_kind("Service", namespace))
                return [o for o in objs if labels.matches(reqs, o["metadata"]["labels"])]
            ns = namespace if kind in admission.NAMESPACED else None
            return [self.get(kind, o.name, o.namespace) for o in self.store.select(kind, ns, reqs)]

    def patch(self, kind: str, name: str, patch: dict, namespace: str = "default") -> dict:
        """Merge ``patch`` into the object (JSON merge patch: dicts merge, lists replace)."""
        with self.lock, paused_gc():
            obj = self.find(kind, name, namespace)
            if obj.kind == "Node":
                patch_node(self, obj, patch)
            else:
                doc, spec = self.patched(obj, patch)
                update(self, obj, doc["metadata"], spec)
            return obj.to_json()

    def patched(self, obj, patch: dict) -> tuple[dict, dict]:
        """(document, admitted spec) of ``obj`` after a JSON merge ``patch``, validated;
        a Service's addresses filled in. Nothing is stored (ManifestError if refused)."""
        # merge_patch builds new dicts along the patched paths; admission copies the
        # spec, so the stored object is never shared with the result.
        base = {"apiVersion": obj.body["apiVersion"], "kind": obj.kind, "metadata": obj.meta}
        if obj.kind in DATA_KINDS:
            base.update(obj.spec)  # a ConfigMap's or Secret's content is at the top level
        else:
            base["spec"] = obj.spec
        doc = manifests.merge_patch(base, patch)
        validation.validate(doc, source=None)  # `kubectl patch` names no file
        spec = admission.admit(doc) if obj.kind != "Pod" else podspec.default(doc["spec"])
        if obj.kind == "Service":
            self.addresses.service(spec, obj, self.store)
        return doc, spec

    def delete(self, kind: str, name: str, namespace: str = "default") -> None:
        """Delete an object; pods terminate gracefully, owners cascade in the background."""
        with self.lock, paused_gc():
            obj = self.find(kind, name, namespace)
            if obj.kind == "Pod":
                self.objects.delete_pod(obj)
                return
            check_delete(obj)
            if obj.kind == "Namespace":
                for kind_ in (
                    "Deployment",
                    "ReplicaSet",
                    "Service",
                    "HorizontalPodAutoscaler",
                    "PodDisruptionBudget",
                    "Pod",
                    *DATA_KINDS,
                ):
                    for child in self.store.of_kind(kind_, obj.name):
                        self._delete_obj(child)
                self.store.remove(obj)
            else:
                self._delete_obj(obj)

    def _delete_obj(self, obj) -> None:
        if obj.kind == "Pod":
            self.objects.delete_pod(obj)
        else:
            self.objects.remove_object(obj)

    def evict(self, pod: str, namespace: str = "default", dry_run: bool = False) -> bool:
        """The Eviction API: False when a PodDisruptionBudget refuses (HTTP 429).
        ``dry_run``: the same answer, nothing evicted."""
        with self.lock:
            obj = self.find("Pod", pod, namespace)
            if obj.terminating:
                return True
            if not eviction_allowed(self.store, obj):
                return False
            if not dry_run:
                self.objects.delete_pod(obj)
            return True

    def update_status(self, kind: str, name: str, namespace: str | None, status: dict) -> None:
        """Replace an object's status (the status subresource): bumps resourceVersion."""
        obj = self.find(kind, name, namespace)
        obj.status = status
        self.store.changed(obj)
