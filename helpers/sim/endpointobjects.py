"""The Endpoints and EndpointSlice objects of a Service, as kube-controller-manager writes them.

Each selected, scheduled pod contributes the Service ports that resolve on it (a named
targetPort per pod; a pod lacking the name gets no endpoint for that port), each with the
Service port's name and protocol.

- Endpoints (core/v1): pods grouped into subsets by identical ports, Ready ones under
  ``addresses``, others under ``notReadyAddresses``; terminating pods and pods with no
  resolved port are left out (the endpoints controller, then RepackSubsets).
- EndpointSlices (discovery.k8s.io/v1): one slice per distinct set of ports, every pod
  listed with ``ready``, ``serving`` and ``terminating`` conditions, terminating ones too;
  ``kubernetes.io/service-name`` links a slice to its Service; a Service with no pods has
  one empty placeholder slice.
(kubernetes.io/docs/concepts/services-networking/endpoint-slices/,
kubernetes pkg/controller/endpoint and pkg/controller/endpointslice)
"""

from __future__ import annotations

from typing import Any

from helpers.sim.names import fnv1a_32, safe_encode
from helpers.sim.serviceports import endpoint_ports

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"


def _port_json(port: tuple, named_always: bool) -> dict[str, Any]:
    name, number, protocol, app_protocol = port
    out: dict[str, Any] = {"port": number, "protocol": protocol}
    # Endpoints omit an empty name (omitempty); EndpointSlices always carry it (a pointer).
    if name or named_always:
        out["name"] = name
    if app_protocol:
        out["appProtocol"] = app_protocol
    return out


def _target_ref(pod) -> dict[str, Any]:
    return {"kind": "Pod", "name": pod.name, "namespace": pod.namespace, "uid": pod.uid}


def endpoints_json(svc, pods: list, ready: set[str]) -> dict[str, Any]:
    """The Endpoints object of ``svc``; ``pods`` are its selected, scheduled pods."""
    groups: dict[tuple, dict[str, list]] = {}
    for pod in pods:
        ports = endpoint_ports(svc.spec, pod.spec)
        if pod.terminating or not ports:
            continue
        group = groups.setdefault(ports, {"addresses": [], "notReadyAddresses": []})
        address = {"ip": pod.ip, "nodeName": pod.node, "targetRef": _target_ref(pod)}
        group["addresses" if pod.name in ready else "notReadyAddresses"].append(address)
    subsets = []
    for ports, group in sorted(groups.items(), key=lambda kv: str(kv[0])):
        subset: dict[str, Any] = {}
        for key in ("addresses", "notReadyAddresses"):
            if group[key]:
                subset[key] = sorted(group[key], key=lambda a: (a["ip"], a["targetRef"]["uid"]))
        subset["ports"] = [_port_json(p, named_always=False) for p in ports]
        subsets.append(subset)
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": svc.name, "namespace": svc.namespace, "labels": dict(svc.labels)},
        "subsets": subsets,
    }


def slices_json(svc, pods: list, ready: set[str]) -> list[dict[str, Any]]:
    """The EndpointSlices of ``svc`` (none for a Service without a selector)."""
    if not svc.spec.get("selector"):
        return []
    groups: dict[tuple, list] = {}
    for pod in pods:
        ports = endpoint_ports(svc.spec, pod.spec)
        serving = pod.ready and pod.node_ready and pod.cstate == "running"
        groups.setdefault(ports, []).append(
            {
                "addresses": [pod.ip],
                "conditions": {
                    "ready": pod.name in ready,
                    "serving": serving,
                    "terminating": pod.terminating,
                },
                "nodeName": pod.node,
                "targetRef": _target_ref(pod),
            }
        )
    if not groups:
        return [_slice(svc, None, None)]  # the controller's placeholder
    return [
        _slice(svc, [_port_json(p, named_always=True) for p in ports], endpoints)
        for ports, endpoints in sorted(groups.items(), key=lambda kv: str(kv[0]))
    ]


def _slice(svc, ports, endpoints) -> dict[str, Any]:
    # Real slices get a random generateName suffix; here a stable one from the Service's uid
    # and the ports, so a slice keeps its name from read to read.
    suffix = safe_encode(str(fnv1a_32(f"{svc.uid}/{ports}".encode())))[:5]
    labels = {**svc.labels, SERVICE_NAME_LABEL: svc.name, MANAGED_BY_LABEL: MANAGED_BY}
    owner = {"apiVersion": "v1", "kind": "Service", "name": svc.name, "uid": svc.uid,
             "controller": True, "blockOwnerDeletion": True}  # fmt: skip
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{svc.name}-{suffix}",
            "generateName": f"{svc.name}-",
            "namespace": svc.namespace,
            "labels": labels,
            "ownerReferences": [owner],
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }
