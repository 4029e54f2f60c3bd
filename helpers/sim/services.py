"""Service endpoints: the endpoints controller.

Endpoints list only Ready pods matching the Service's selector; a terminating pod leaves
at once (kubernetes.io/docs/concepts/services-networking/service/). Which port of each pod
a Service port reaches is worked out per pod (helpers.sim.serviceports); the objects a
reader gets are rendered in helpers.sim.endpointobjects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helpers.core.kinds import KINDS
from helpers.errors import NotFound
from helpers.sim.endpointobjects import endpoints_json, slices_json
from helpers.sim.serviceports import find_port
from helpers.sim.store import Obj

if TYPE_CHECKING:
    from helpers.sim.context import Context


class EndpointsController:
    """Keeps, per Service, the sorted names of its ready pods."""

    def __init__(self, ctx: Context):
        self.store = ctx.store
        self.members: dict[str, set[str]] = {}  # service uid -> pod names
        self.listed: dict[tuple, int] = {}  # (namespace, pod) -> how many services list it
        self.store.watch("Pod", self._pod_changed)
        self.store.watch("Service", self._service_changed)

    def _selects(self, svc: Obj, pod) -> bool:
        sel = svc.spec.get("selector")
        return bool(sel) and all(pod.labels.get(k) == v for k, v in sel.items())

    def _candidates(self, svc: Obj) -> list:
        """The pods of the Service's namespace that may match it, by name (label index)."""
        sel = svc.spec.get("selector") or {}
        key = next((k for k, v in sel.items() if isinstance(v, str)), None)
        if key is None:
            return self.store.of_kind("Pod", svc.namespace)
        pods = self.store.indexes.labelled("Pod", svc.namespace, key, (sel[key],))
        return sorted(pods, key=lambda p: p.name)

    def _pod_changed(self, pod, _type) -> None:
        services = self.store.indexes.in_namespace("Service", pod.namespace)
        if not services:
            return
        serving = pod.is_ready and not pod.deleted and pod.node is not None
        for svc in list(services):
            members = self.members.setdefault(svc.uid, set())
            want = serving and self._selects(svc, pod)
            if want != (pod.name in members):
                (members.add if want else members.discard)(pod.name)
                key = (pod.namespace, pod.name)
                self.listed[key] = self.listed.get(key, 0) + (1 if want else -1)
                if self.listed[key] <= 0:
                    del self.listed[key]
                self.store.changed(svc)

    def _service_changed(self, svc: Obj, type_: str) -> None:
        if type_ == "DELETED":
            for name in self.members.pop(svc.uid, set()):
                key = (svc.namespace, name)
                self.listed[key] = self.listed.get(key, 1) - 1
                if self.listed[key] <= 0:
                    del self.listed[key]
            return
        if type_ != "ADDED":
            return
        members = self.members.setdefault(svc.uid, set())
        for pod in self._candidates(svc):
            want = pod.is_ready and self._selects(svc, pod) and pod.node is not None
            if want and pod.name not in members:
                members.add(pod.name)
                self.listed[(pod.namespace, pod.name)] = (
                    self.listed.get((pod.namespace, pod.name), 0) + 1
                )

    def resync(self, svc: Obj) -> None:
        """Recompute a Service's endpoints from scratch (after its selector changed)."""
        for name in self.members.pop(svc.uid, set()):
            key = (svc.namespace, name)
            self.listed[key] = self.listed.get(key, 1) - 1
            if self.listed[key] <= 0:
                del self.listed[key]
        self._service_changed(svc, "ADDED")

    def endpoints(self, svc: Obj) -> list[str]:
        """Ready pod names of a Service, sorted."""
        return sorted(self.members.get(svc.uid, ()))

    def is_listed(self, pod) -> bool:
        """Whether any Service lists the pod as a ready endpoint."""
        return (pod.namespace, pod.name) in self.listed

    def backends(self, svc: Obj) -> list[tuple[str, int]]:
        """(pod, container port) for each ready endpoint of the Service's first port, by name.

        What kube-proxy sends that port's traffic to: a pod on which the targetPort does
        not resolve is no backend of it.
        """
        ports = svc.spec.get("ports") or []
        out = []
        for name in self.endpoints(svc):
            pod = self.store.find("Pod", name, svc.namespace)
            number = find_port(pod.spec, ports[0]) if pod is not None and ports else None
            if number is not None:
                out.append((name, number))
        return out

    def _selected(self, svc: Obj) -> list:
        return [p for p in self._candidates(svc) if p.node is not None and self._selects(svc, p)]

    def to_json(self, svc: Obj) -> dict[str, Any]:
        """The Endpoints object of a Service (core/v1)."""
        return endpoints_json(svc, self._selected(svc), self.members.get(svc.uid, set()))

    def slices(self, svc: Obj) -> list[dict[str, Any]]:
        """The EndpointSlices of a Service (discovery.k8s.io/v1)."""
        return slices_json(svc, self._selected(svc), self.members.get(svc.uid, set()))

    def objects(self, kind: str, services) -> list[dict[str, Any]]:
        """The Endpoints or EndpointSlice objects of ``services``."""
        if kind == "Endpoints":
            return [self.to_json(svc) for svc in services]
        return [sl for svc in services for sl in self.slices(svc)]

    def find(self, kind: str, name: str, services) -> dict[str, Any]:
        """The Endpoints or EndpointSlice object ``name``; NotFound in the API server's words."""
        for obj in self.objects(kind, services):
            if obj["metadata"]["name"] == name:
                return obj
        raise NotFound(f'{KINDS[kind].resource} "{name}" not found.')
