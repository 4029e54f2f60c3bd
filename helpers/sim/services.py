"""Service endpoints: the endpoints controller.

Endpoints list only Ready pods matching the Service's selector; a terminating pod leaves
at once (kubernetes.io/docs/concepts/services-networking/service/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

    def to_json(self, svc: Obj) -> dict[str, Any]:
        """The Endpoints object of a Service (core/v1)."""
        addresses, not_ready = [], []
        for pod in self._candidates(svc):
            if pod.node is None or not self._selects(svc, pod) or pod.terminating:
                continue
            entry = {
                "ip": pod.ip,
                "nodeName": pod.node,
                "targetRef": {
                    "kind": "Pod",
                    "name": pod.name,
                    "namespace": pod.namespace,
                    "uid": pod.uid,
                },
            }
            (addresses if pod.name in self.members.get(svc.uid, ()) else not_ready).append(entry)
        ports = [
            {"port": _target(p), "protocol": p.get("protocol", "TCP")}
            for p in svc.spec.get("ports", [])
        ]
        subset: dict[str, Any] = {"ports": ports}
        if addresses:
            subset["addresses"] = addresses
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        return {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": svc.name, "namespace": svc.namespace, "labels": dict(svc.labels)},
            "subsets": [subset] if addresses or not_ready else [],
        }


def _target(port: dict) -> int:
    target = port.get("targetPort", port["port"])
    return target if isinstance(target, int) else port["port"]
