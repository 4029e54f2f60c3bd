"""Reaching a Service from this machine, and a small client for the model service.

On kind only the NodePorts listed in the cluster's ``extraPortMappings`` reach the host;
the course maps NodePort 30080 to 127.0.0.1:30080. On other clusters a LoadBalancer
address or a node address with the NodePort is used, else the student port-forwards.
(kubernetes.io/docs/concepts/services-networking/service/#type-nodeport)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from helpers.core.traffic import ANSWERED_HINT, STATUS_REFUSED, STATUS_TIMEOUT
from helpers.errors import LabError, ServiceUnavailable

if TYPE_CHECKING:
    from helpers.core.api import Cluster

KIND_NODE_PORT = 30080  # the only NodePort `make cluster` maps to the host
PREDICT_TIMEOUT_S = 10.0
# 5 s: a few kube-proxy syncs (--iptables-min-sync-period defaults to 1 s); on the course's
# kind cluster a new Service answered on its NodePort 1.6 s after the apply.
PROXY_SYNC_S = 5.0


def _port_forward_hint(name: str, port: int) -> str:
    return (
        f"Run `kubectl port-forward svc/{name} 8080:{port}` in a terminal, then use "
        f'cluster.service("{name}", url="http://127.0.0.1:8080").'
    )


def service_url(cluster: Cluster, name: str, namespace: str = "default") -> str:
    """The base URL at which this machine reaches Service ``name``.

    Example:
        >>> service_url(cluster, "model")
        'http://127.0.0.1:30080'
    """
    svc = cluster.get("Service", name, namespace)
    spec = svc.get("spec") or {}
    ports = spec.get("ports") or []
    if not ports:
        raise LabError(f"service/{name} has no ports.", "Add spec.ports to its manifest.")
    port = ports[0]
    node_port = port.get("nodePort")
    if cluster.name.startswith("kind-"):
        if node_port == KIND_NODE_PORT:
            return f"http://127.0.0.1:{KIND_NODE_PORT}"
        raise LabError(
            f"service/{name} is not on NodePort {KIND_NODE_PORT}, the only one kind maps to "
            "this machine.",
            _port_forward_hint(name, port.get("port", 80)),
        )
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if spec.get("type") == "LoadBalancer" and ingress:
        host = ingress[0].get("ip") or ingress[0].get("hostname")
        return f"http://{host}:{port.get('port', 80)}"
    if node_port:
        for node in cluster.list_objects("Node", None):
            addresses = {a["type"]: a["address"] for a in node["status"].get("addresses", [])}
            host = addresses.get("ExternalIP") or addresses.get("InternalIP")
            if host:
                return f"http://{host}:{node_port}"
    raise LabError(
        f"service/{name} has no address reachable from this machine (type "
        f"{spec.get('type', 'ClusterIP')}).",
        _port_forward_hint(name, port.get("port", 80)),
    )


class ServiceClient:
    """Calls the model service over HTTP.

    Example:
        >>> svc = cluster.service("model")
        >>> svc.predict([[0.0] * 64])["version"]
        'v1'
    """

    def __init__(self, url: str, name: str = "model"):
        self.url = url.rstrip("/")
        self.name = name

    def __repr__(self) -> str:
        return f"<ServiceClient {self.name} at {self.url}>"

    def _post(self, rows: list[list[float]]) -> httpx.Response:
        # A Service applied a moment ago may not answer on its NodePort yet: kube-proxy
        # programs it at its next sync (--iptables-min-sync-period, 1 s). Until then the
        # connection is refused, or, through Docker's port publishing (kind maps 30080 with
        # docker-proxy), accepted and closed before any answer. Either is tried again for
        # PROXY_SYNC_S: nothing reached a pod, so /predict (a pure function) is safe to
        # repeat. Anything else, and any error after the deadline, is final.
        deadline = time.monotonic() + PROXY_SYNC_S
        while True:
            try:
                return httpx.post(
                    f"{self.url}/predict", json={"rows": rows}, timeout=PREDICT_TIMEOUT_S
                )
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def predict(self, rows: list[list[float]]) -> dict[str, Any]:
        """POST /predict; returns ``{"predictions": [...], "version": ..., "pod": ...}``."""
        try:
            resp = self._post(rows)
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"service/{self.name} did not answer within {PREDICT_TIMEOUT_S:g} s.",
                STATUS_TIMEOUT,
                "Lower the traffic or scale the Deployment up.",
            ) from None
        except httpx.HTTPError as err:
            raise ServiceUnavailable(
                f"Nothing answered at {self.url} ({type(err).__name__}).",
                STATUS_REFUSED,
                f'Wait for the pods first: cluster.wait_rollout("{self.name}").',
            ) from None
        if resp.status_code == 422:
            raise LabError(
                f"service/{self.name} refused the rows (422): {resp.text[:200]}",
                "Send a list of rows, each a list of numbers of the model's width.",
            )
        if resp.status_code != 200:
            try:
                detail = resp.json().get("detail")
            except (ValueError, AttributeError):
                detail = None
            if isinstance(detail, str):  # an answer of ours (the gateway, the model): its words
                raise ServiceUnavailable(
                    f"service/{self.name} answered {resp.status_code}: {detail}",
                    resp.status_code,
                    ANSWERED_HINT,
                )
            raise ServiceUnavailable(
                f"service/{self.name} answered {resp.status_code}: {resp.text[:200]}",
                resp.status_code,
                "Look at cluster.events() for failing pods.",
            )
        body = resp.json()
        body.setdefault("version", resp.headers.get("X-Model-Version"))
        body.setdefault("pod", resp.headers.get("X-Pod"))
        return body
