"""Service ports: the API server's defaults and checks, and what each port means per pod.

Defaults: protocol TCP; a targetPort left out (or 0, or "") is the port itself, so a
Service ``port: 80`` in front of a server on 8080 sends to 8080 only if it says so.
(kubernetes.io/docs/concepts/services-networking/service/#defining-a-service)

A numeric targetPort is the same on every pod; a named one is looked up per pod among its
containers' ports of the same protocol, and a pod without that name gets no endpoint for
that Service port (podutil.FindPort, used by the endpoints and EndpointSlice controllers).
"""

from __future__ import annotations

import re
from typing import Any

from helpers.errors import ManifestError

PROTOCOLS = ("SCTP", "TCP", "UDP")
# IANA_SVC_NAME: what a named port may be (validation.IsValidPortName).
_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")


def check_port_number(value, field: str) -> None:
    """ManifestError in the API server's words unless ``value`` is a port 1-65535."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ManifestError(
            f"{field}: Invalid value: {value!r}: must be between 1 and 65535, inclusive"
        )


def check_port_name(value: str, field: str) -> None:
    """ManifestError in the API server's words unless ``value`` is an IANA_SVC_NAME."""
    problems = [
        (len(value) > 15, "must be no more than 15 characters"),
        (not _NAME_CHARS.match(value), "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
        (not re.search("[a-z]", value), "must contain at least one letter (a-z)"),
        ("--" in value, "must not contain consecutive hyphens"),
        (value.startswith("-") or value.endswith("-"), "must not begin or end with a hyphen"),
    ]  # fmt: skip
    for bad, why in problems:
        if bad:
            raise ManifestError(f'{field}: Invalid value: "{value}": {why}')


# A Service port's name is a DNS-1123 label (validateServicePort calls ValidateDNS1123Label,
# pkg/apis/core/validation v1.36), not an IANA_SVC_NAME like a container port's or a
# targetPort's: `kubectl create service nodeport web --tcp=80:8080` names its port "80-8080".
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def check_service_port_name(value: str, field: str) -> None:
    """ManifestError in the API server's words unless ``value`` is a DNS-1123 label."""
    if len(value) > 63:
        raise ManifestError(
            f'{field}: Invalid value: "{value}": must be no more than 63 characters'
        )
    if not _DNS_LABEL.match(value):
        why = "must not contain dots" if "." in value else _DNS_LABEL_MSG
        raise ManifestError(f'{field}: Invalid value: "{value}": {why}')


def admit(ports: list[dict[str, Any]]) -> None:
    """Default and check a Service's ports in place; ManifestError in the API server's words."""
    if not ports:
        raise ManifestError("spec.ports: Required value", "A Service needs at least one port.")
    names: set[str] = set()
    node_ports: set[tuple] = set()
    for i, port in enumerate(ports):
        field = f"spec.ports[{i}]"
        check_port_number(port.get("port"), f"{field}.port")
        protocol = port.setdefault("protocol", "TCP")
        if protocol not in PROTOCOLS:
            raise ManifestError(
                f'{field}.protocol: Unsupported value: "{protocol}": supported values: '
                + ", ".join(f'"{p}"' for p in PROTOCOLS)
            )
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port["port"]
        target = port["targetPort"]
        if isinstance(target, str):
            check_port_name(target, f"{field}.targetPort")
        else:
            check_port_number(target, f"{field}.targetPort")
        name = port.get("name", "")
        if len(ports) > 1 and not name:
            raise ManifestError(
                f"{field}.name: Required value", "A Service with several ports names each one."
            )
        if name:
            check_service_port_name(name, f"{field}.name")
            if name in names:
                raise ManifestError(f'{field}.name: Duplicate value: "{name}"')
            names.add(name)
        node_port = port.get("nodePort")
        if node_port:
            if (protocol, node_port) in node_ports:
                raise ManifestError(f"{field}.nodePort: Duplicate value: {node_port}")
            node_ports.add((protocol, node_port))


def find_port(pod_spec: dict[str, Any], port: dict[str, Any]) -> int | None:
    """The container port ``port``'s targetPort means on this pod, or None if it has none."""
    target = port.get("targetPort", port["port"])
    if not isinstance(target, str):
        return target
    protocol = port.get("protocol", "TCP")
    for container in pod_spec.get("containers") or []:
        for cport in container.get("ports") or []:
            if cport.get("name") == target and cport.get("protocol", "TCP") == protocol:
                return cport.get("containerPort")
    return None


def endpoint_ports(svc_spec: dict[str, Any], pod_spec: dict[str, Any]) -> tuple[tuple, ...]:
    """(name, port, protocol, appProtocol) per Service port that resolves on this pod."""
    out = []
    for port in svc_spec.get("ports") or []:
        number = find_port(pod_spec, port)
        if number is not None:
            out.append(
                (port.get("name", ""), number, port.get("protocol", "TCP"), port.get("appProtocol"))
            )
    return tuple(out)
