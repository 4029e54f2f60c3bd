"""The simulated gateway of lab 08: a pod that forwards /predict to the model through a Service.

cluster/model's gateway (``python -m orchestra_model.gateway``) reads MODEL_URL, MODEL_TOKEN
and GATEWAY_TIMEOUT_S from its environment once, at start, and for each request:

- does a little work of its own (parse, forward, copy the answer back), queued on its pod
  like the model's work, then opens a new connection to MODEL_URL: cluster DNS finds the
  Service (helpers.sim.clusterdns), kube-proxy picks a ready endpoint (the Service's own
  ``Router``), and the model answers as it would anyone, checking the bearer token;
- answers what the model answered: 200 with the model's version and pod (it copies
  X-Model-Version and X-Pod), the model's 5xx status as is, 502 when the model refused its
  token (401), when the name does not resolve or the connection is refused, and 504 when
  the model has not answered within GATEWAY_TIMEOUT_S.

A ClusterIP port that no Service port matches has no kube-proxy rule; the packets go
unanswered and the gateway times out (504). Its readiness never depends on the model's, so
a model outage shows as the gateway's 502/503s while its pods stay Ready.
(kubernetes.io/docs/concepts/services-networking/dns-pod-service/,
kubernetes.io/docs/concepts/services-networking/service/)
"""

from __future__ import annotations

from typing import Any

from helpers.core import clusterdns, traffic
from helpers.errors import NotFound

# About 1.5 ms of CPU per forwarded request: FastAPI's routing and JSON handling and an
# httpx request/response on one uvicorn worker (less than the model's 2 ms, which adds the
# pydantic validation of 64 numbers and the matrix product).
FORWARD_S = 0.0015
# A DNS lookup that finds no such name (NXDOMAIN from CoreDNS after the search list): a few ms.
NXDOMAIN_S = 0.004
STATUS_BAD_GATEWAY = traffic.STATUS_REFUSED  # 502
STATUS_GATEWAY_TIMEOUT = traffic.STATUS_TIMEOUT  # 504
STATUS_UNAUTHORIZED = 401  # the model's answer to a missing or wrong bearer token
# Outcomes in which no server answered: refused, no endpoint, timed out.
NOT_ANSWERED = (traffic.STATUS_REFUSED, traffic.STATUS_NOT_SENT, traffic.STATUS_TIMEOUT)


def _upstream(router, target: clusterdns.Target) -> tuple[Any, str]:
    """The model's Router when ``target`` names an existing Service port, else (None, why):
    "resolve" (no such Service: NXDOMAIN) or "port" (the Service has no such port)."""
    try:
        upstream = type(router).of(router.plane, target.service, target.namespace)
    except NotFound:
        return None, "resolve"
    spec = router.plane.get("Service", target.service, target.namespace).get("spec") or {}
    ports = spec.get("ports") or []
    if not ports or ports[0].get("port") != target.port:
        # Traffic goes to the Service's first port (routing.py); any other port meets no rule.
        return None, "port"
    return upstream, ""


def forward(router, pod: str, serving, t: float, n_rows: int, client_timeout: float) -> tuple:
    """The answer of gateway ``pod`` to a request sent at ``t``, reached through ``router``
    (a helpers.sim.routing.Router; ``serving``: the pod's Serving): the fields of an Outcome,
    (latency in s, status, version, pod, detail: the
    gateway's own error answer). The client gives up after ``client_timeout`` s.

    Failed answers carry no pod and no version: the gateway's own error responses have no
    X-Pod or X-Model-Version header, so the kube backend records none either."""

    factor, hop = router.draw()
    ready_at = router.work(pod, serving, t, FORWARD_S * factor)
    took = ready_at - t + hop
    timeout = serving.upstream_timeout
    url = serving.model_url
    try:
        target = clusterdns.lookup(url, router.namespace)
    except ValueError:
        target = None
    if target is None or target.error == "loopback":
        # Nothing else listens in the gateway's pod: refused at once (httpx tries each
        # address "localhost" has, ::1 and 127.0.0.1, and then says so).
        why = "All connection attempts failed" if target and target.host == "localhost" else None
        if why:
            return (took, STATUS_BAD_GATEWAY, None, None, f"cannot connect to {url}: {why}")
        return (
            took,
            STATUS_BAD_GATEWAY,
            None,
            None,
            f"cannot connect to {url}: Connection refused",
        )
    upstream, why = (None, target.error) if target.error else _upstream(router, target)
    if why == "resolve":
        detail = (
            f"cannot resolve '{target.host}' (MODEL_URL={url}): is there a Service of that "
            "name in this namespace?"
        )
        return (took + NXDOMAIN_S, STATUS_BAD_GATEWAY, None, None, detail)
    late = (
        min(took + timeout, client_timeout),
        STATUS_GATEWAY_TIMEOUT,
        None,
        None,
        f"the model did not answer within {timeout:g} s",
    )
    if upstream is None:  # a port the Service does not have: no answer until the timeout
        return late
    inner = upstream.send(ready_at, n_rows, serving.token, forwarded=True)
    if inner.status == traffic.STATUS_TIMEOUT or inner.latency_s > timeout:
        return late
    latency = took + inner.latency_s
    if target.path not in ("", "/") and inner.status not in NOT_ANSWERED:
        # The gateway calls MODEL_URL + "/predict": a path in MODEL_URL makes it ask for a
        # route the model does not have (e.g. /predict/predict), which answers 404.
        return (latency, STATUS_BAD_GATEWAY, None, None, "model answered 404")
    if inner.status == 200:
        return (latency, 200, inner.version, inner.pod, None)
    if inner.status == STATUS_UNAUTHORIZED:
        detail = (
            "the model refused the gateway's token (401): set MODEL_TOKEN from the model's Secret"
        )
        return (latency, STATUS_BAD_GATEWAY, None, None, detail)
    if inner.status >= 500 and inner.status != traffic.STATUS_REFUSED:
        # e.g. 503 while the model loads
        return (latency, inner.status, None, None, f"model answered {inner.status}")
    # A refused connection, or kube-proxy's reject of a Service without endpoints.
    return (latency, STATUS_BAD_GATEWAY, None, None, f"cannot connect to {url}: Connection refused")
