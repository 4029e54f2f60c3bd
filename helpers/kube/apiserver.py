"""Plain REST calls to the API server over the official client's ApiClient.

Objects travel as Kubernetes JSON dicts, exactly as the API server sends them (no model
classes in between, so nothing is dropped or renamed). Every failure becomes one of the
kit's errors (helpers.kube.statuses); the library's own exception text is never shown.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from helpers.kube.statuses import Request, error_for, parse_status, unreachable

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
FIELD_MANAGER = "orchestra-labs"


def why_unreachable(err: BaseException, timeout: float | None = None) -> str:
    """A short reason for a connection failure, for students (no addresses or secrets).

    Example:
        >>> why_unreachable(ConnectionRefusedError())
        'refused the connection'
    """
    reason = getattr(err, "reason", None)
    for cause in (err, reason, getattr(reason, "__cause__", None), err.__cause__):
        text = type(cause).__name__ if cause is not None else ""
        if "SSL" in text or (isinstance(err, ApiException) and "SSL" in str(err.reason)):
            return "failed the TLS handshake (the kubeconfig's certificates do not match)"
        if "Timeout" in text or isinstance(cause, TimeoutError):
            after = f" within {timeout:g} s" if timeout else ""
            return f"did not answer{after}"
        if "NewConnectionError" in text or isinstance(cause, ConnectionRefusedError):
            return "refused the connection"
        if "NameResolution" in text:
            return "has a host name that does not resolve"
    return "could not be reached"


class ApiServer:
    """The API server of one kubeconfig context.

    Example:
        >>> api = ApiServer(client, "kind-orchestra")
        >>> api.request("GET", "/version", Request("get", "Version"))["major"]
        '1'
    """

    def __init__(self, client: ApiClient, context: str, timeout: float = 30.0):
        self.client = client
        self.context = context
        self.timeout = timeout

    @property
    def server(self) -> str:
        """The API server URL (no credentials in it)."""
        return self.client.configuration.host

    def __repr__(self) -> str:
        return f"<ApiServer context={self.context!r}>"

    def send(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: Any = None,
    ):
        """Send one request; returns the urllib3 response unread (for watch streams)."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        method, url, headers, body, post = self.client.param_serialize(
            method,
            path,
            query_params=params,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            return self.client.call_api(
                method, url, headers, body, post, _request_timeout=timeout or self.timeout
            ).response
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as err:
            raise unreachable(self.context, self.server, why_unreachable(err, timeout)) from None

    def request(
        self,
        method: str,
        path: str,
        req: Request,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: Any = None,
    ) -> dict[str, Any]:
        """Send one request and return the JSON answer; errors become helpers.errors."""
        resp = self.send(method, path, query, body, content_type, timeout)
        try:
            data = resp.data
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise unreachable(self.context, self.server, why_unreachable(err, timeout)) from None
        finally:
            resp.release_conn()
        if not 200 <= resp.status <= 299:
            raise error_for(resp.status, parse_status(data), req, self.context)
        return json.loads(data) if data else {}

    def list(self, path: str, req: Request, selector: str | None = None) -> dict[str, Any]:
        """GET a collection (``items`` and ``metadata.resourceVersion``)."""
        return self.request("GET", path, req, {"labelSelector": selector or None})

    def apply(
        self, path: str, obj: dict[str, Any], req: Request, dry_run: bool = False
    ) -> dict[str, Any]:
        """Server-side apply: idempotent create-or-update owned by our field manager.
        ``dry_run``: the object the apply would leave, nothing stored (?dryRun=All).

        (kubernetes.io/docs/reference/using-api/server-side-apply/,
        kubernetes.io/docs/reference/using-api/api-concepts/#dry-run)
        """
        query = {"fieldManager": FIELD_MANAGER, "force": "true"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("PATCH", path, req, query, json.dumps(obj), APPLY)

    def merge_patch(self, path: str, patch: dict[str, Any], req: Request) -> dict[str, Any]:
        """JSON merge patch (RFC 7386): maps merge, lists replace, null deletes a field."""
        return self.request("PATCH", path, req, {"fieldManager": FIELD_MANAGER}, patch, MERGE)
