"""Turning API server answers (Kubernetes Status objects) into the kit's own errors.

The messages are built from the Status object and from what we asked for, never from
the library's exception text, which carries request headers. So no token or certificate
can reach a student's notebook or a log.
(kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from helpers.errors import ClusterUnavailable, LabError, ManifestError, NotFound


class Gone(Exception):
    """HTTP 410: the resourceVersion a watch asked for has expired; list again."""


@dataclass(frozen=True)
class Request:
    """What we asked the API server, in words (for error messages)."""

    verb: str  # get, list, watch, create, patch, delete, evict
    kind: str
    name: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        what = self.kind.lower() + (f"/{self.name}" if self.name else "s")
        return what + (f" in namespace {self.namespace!r}" if self.namespace else "")


def parse_status(body: bytes | str | None) -> dict:
    """The Status object of an error answer, or {} when the body is not one."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def invalid_fields(status: dict) -> list[str]:
    """``field: message`` for each cause of a 422 Invalid answer.

    Example:
        >>> invalid_fields({"details": {"causes": [{"field": "spec.replicas",
        ...     "message": "must be greater than or equal to 0"}]}})
        ['spec.replicas: must be greater than or equal to 0']
    """
    causes = (status.get("details") or {}).get("causes") or []
    out = []
    for cause in causes:
        field, message = cause.get("field"), cause.get("message") or cause.get("reason", "")
        out.append(f"{field}: {message}" if field else message)
    return out


def error_for(code: int, status: dict, req: Request, context: str) -> Exception:
    """The helpers.errors exception for an HTTP error ``code`` answered to ``req``."""
    message = status.get("message") or f"HTTP {code}"
    what = req.describe()
    if code == 410:
        return Gone(message)
    if code == 401:
        return ClusterUnavailable(
            f"The API server of context {context!r} refused our credentials (401 Unauthorized).",
            "Refresh the kubeconfig: `kind export kubeconfig --name orchestra` for the course "
            "cluster, or log in to your cloud again.",
        )
    if code == 403:
        return LabError(
            f"Not allowed to {req.verb} {what} (403 Forbidden): {message}.",
            f"Ask the cluster admin for RBAC permission to {req.verb} "
            f"{req.kind.lower()}s, or use the course cluster (`make cluster`).",
        )
    if code == 404:
        if req.verb == "apply":
            details = status.get("details") or {}
            if details.get("kind") == "namespaces":
                return NotFound(
                    f"Cannot apply {what}: namespace {details.get('name')!r} does not exist.",
                    "Create it first: cluster.apply({'apiVersion': 'v1', 'kind': 'Namespace', "
                    f"'metadata': {{'name': '{details.get('name')}'}}}}).",
                )
            if not details.get("name"):
                return ManifestError(
                    f"The cluster does not serve kind {req.kind} ({message}).",
                    "Check apiVersion and kind against `kubectl api-resources`.",
                )
        # The API server's own words, as kubectl prints them (resource "name" not found).
        found = status.get("message")
        if found:
            where = f" in namespace {req.namespace}" if req.namespace else ""
            return NotFound(f"{found}{where}.")
        return NotFound(f"{what} does not exist.")
    if code == 409:
        return LabError(f"Conflict on {what}: {message}.", "Read the object again and retry.")
    if code == 422:
        fields = invalid_fields(status)
        detail = "; ".join(fields) if fields else message
        return ManifestError(f"The API server rejected {what}: {detail}.")
    if code == 429:
        return LabError(
            f"The API server is too busy to {req.verb} {what} (429).", "Wait a little and retry."
        )
    if code >= 500:
        return ClusterUnavailable(
            f"The API server failed to {req.verb} {what} ({code}): {message}."
        )
    return LabError(f"Cannot {req.verb} {what} ({code}): {message}.")


def unreachable(context: str, server: str, why: str) -> ClusterUnavailable:
    """The error for a connection that failed before any HTTP answer."""
    return ClusterUnavailable(f"The API server of context {context!r} at {server} {why}.")
