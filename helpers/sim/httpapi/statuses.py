"""Errors as the API server returns them: ``Status`` objects with reason, code and details.

kubectl prints ``Error from server (<reason>): <message>`` from these, so the messages
follow the real server's wording: ``pods "nope" not found`` (``<plural>.<group>`` outside the core group).
(kubernetes/community, contributors/devel/sig-architecture/api-conventions.md, "Response
Status Kind"; k8s.io/apimachinery/pkg/api/errors.)
"""

from __future__ import annotations

from helpers.core.kinds import Kind


class ApiError(Exception):
    """An error response: HTTP ``code``, Kubernetes ``reason``, ``message``, ``details``."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        """The ``Status`` object (kind Status, apiVersion v1)."""
        out = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


def _details(kind: Kind, name: str) -> dict:
    return {"name": name, "group": kind.group, "kind": kind.plural}


def not_found(kind: Kind, name: str) -> ApiError:
    """404 NotFound: ``pods "nope" not found`` (``<plural>.<group>`` outside the core group)."""
    return ApiError(404, "NotFound", f'{kind.resource} "{name}" not found', _details(kind, name))


def already_exists(kind: Kind, name: str) -> ApiError:
    """409 AlreadyExists, as a create (POST) of a taken name gets."""
    msg = f'{kind.resource} "{name}" already exists'
    return ApiError(409, "AlreadyExists", msg, _details(kind, name))


def invalid(kind: Kind, name: str, what: str) -> ApiError:
    """422 Invalid for a manifest the kit's validation refuses; 400 BadRequest for a
    strict-decoding error (an unknown field), as the real server splits them."""
    what = what.rstrip(".")
    if "unknown field" in what or "duplicate field" in what:
        return ApiError(400, "BadRequest", f"strict decoding error: {what}")
    qualified = f"{kind.kind}.{kind.group}" if kind.group else kind.kind
    details = {**_details(kind, name), "kind": kind.kind, "causes": [{"message": what}]}
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {what}', details)


def unauthorized() -> ApiError:
    """401 without a valid bearer token (the body says no more, as the real server's)."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(what: str) -> ApiError:
    """405 for a verb the simulator's API server does not serve."""
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method: {what}")


def not_modelled(what: str) -> ApiError:
    """404 for a resource or subresource the simulator does not model (exec, attach,
    port-forward, proxy, ...): the message names it, so a student knows why."""
    msg = f"the server could not find the requested resource ({what} is not modelled by the simulator)"
    return ApiError(404, "NotFound", msg)


def unsupported_media(content_type: str, what: str = "") -> ApiError:
    """415 for a body the server does not read (apply-patch+yaml; protobuf beyond the
    kinds helpers.sim.httpapi.protobuf reads, ``what`` naming the one sent)."""
    not_read = (
        what or "the simulator reads JSON, and protobuf for Secret, ConfigMap and Namespace only"
    )
    msg = (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/strategic-merge-patch+json, "
        "application/merge-patch+json, application/json-patch+json "
        f"(not {content_type}: {not_read})"
    )
    return ApiError(415, "UnsupportedMediaType", msg)


def gone(rv: str) -> ApiError:
    """410 Gone: a watch asked for a resourceVersion older than the kept history."""
    return ApiError(410, "Expired", f"too old resource version: {rv}")
