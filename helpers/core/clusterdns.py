"""Cluster DNS as a pod sees it: which Service a URL such as ``http://model`` names.

A pod's /etc/resolv.conf (dnsPolicy ClusterFirst) searches ``<its namespace>.svc.cluster.local``,
``svc.cluster.local`` and ``cluster.local`` with ``ndots:5``, so from a pod in namespace
``default`` the names ``model``, ``model.default``, ``model.default.svc`` and
``model.default.svc.cluster.local`` all resolve to the ClusterIP of Service ``model`` in
``default``; a name no Service has does not resolve (NXDOMAIN), and a Service's port is its
``port``, not the pods' ``targetPort``.
(kubernetes.io/docs/concepts/services-networking/dns-pod-service/)

Only what the gateway of lab 08 meets is modelled: ``http://`` URLs whose host is a Service
name in one of those forms, or ``localhost``. (The simulator does not model headless
Services, pod A records, ExternalName Services, other search domains, or a ClusterIP
written as the host: such a URL does not resolve here.)
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

CLUSTER_DOMAIN = "cluster.local"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class Target(NamedTuple):
    """Where a URL leads from a pod: ``service`` in ``namespace`` on ``port``, or, when
    ``service`` is None, why it leads nowhere (``error``: "resolve" or "loopback")."""

    service: str | None
    namespace: str
    port: int
    host: str
    error: str = ""
    path: str = ""  # the URL's path ("" or "/" for none)


def lookup(url: str, namespace: str) -> Target:
    """The Service that ``url`` names from a pod in ``namespace`` (not checked to exist).

    Raises:
        ValueError: ``url`` is not an http:// URL with a host (the gateway refuses it too).

    Example:
        >>> lookup("http://model", "default")
        Target(service='model', namespace='default', port=80, host='model', error='', path='')
        >>> lookup("http://model.shop.svc.cluster.local:8080", "default").namespace
        'shop'
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"MODEL_URL must be an http:// URL with a host, not {url!r}")
    host = parts.hostname.rstrip(".").lower()
    port = parts.port or 80
    path = parts.path
    if host in LOOPBACK:
        return Target(None, namespace, port, host, "loopback", path)
    labels = host.split(".")
    suffix = labels[1:]
    if not suffix:
        return Target(labels[0], namespace, port, host, "", path)
    # name.ns, name.ns.svc, name.ns.svc.cluster.local: the search list completes the first two.
    if len(suffix) == 1 or suffix[1:] in (["svc"], ["svc", *CLUSTER_DOMAIN.split(".")]):
        return Target(labels[0], suffix[0], port, host, "", path)
    return Target(None, namespace, port, host, "resolve", path)
