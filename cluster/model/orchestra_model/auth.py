"""The model's bearer token: with MODEL_TOKEN set, POST /predict needs `Authorization: Bearer`.

The check is ASGI middleware, not a FastAPI dependency: FastAPI parses the JSON body
before it runs dependencies, so a dependency would answer a malformed body with 422 and
tell an unauthenticated client how the API wants its rows. Here 401 comes first.
The probes, /version and /metrics stay open: the kubelet and Prometheus carry no token.
"""

from __future__ import annotations

import hmac

from starlette.responses import JSONResponse

TOKEN_ENV = "MODEL_TOKEN"
MISSING = "missing bearer token"
WRONG = "wrong bearer token"
PROTECTED_PATHS = frozenset({"/predict"})


def problem(authorization: bytes | None, token: bytes) -> str | None:
    """Why an Authorization header value does not carry `token`, or None when it does.

    The scheme is case-insensitive (RFC 7235); the token is compared in constant time, so
    the answer's timing does not reveal how many leading bytes were right.

    Example:
        >>> problem(b"Bearer s3cret", b"s3cret") is None
        True
        >>> problem(b"Basic dXNlcg==", b"s3cret")
        'missing bearer token'
    """
    scheme, _, presented = (authorization or b"").strip().partition(b" ")
    presented = presented.strip()
    if scheme.lower() != b"bearer" or not presented:
        return MISSING
    return None if hmac.compare_digest(presented, token) else WRONG


class BearerAuth:
    """Pure ASGI middleware: 401 on the protected paths unless the bearer token matches."""

    def __init__(self, app, token: str, paths: frozenset[str] = PROTECTED_PATHS) -> None:
        self.app = app
        self._token = token.encode()
        self.paths = paths

    def __repr__(self) -> str:  # never the token, even in a debugger or a traceback
        return f"BearerAuth(paths={sorted(self.paths)})"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        reason = problem(header, self._token)
        if reason is None:
            await self.app(scope, receive, send)
            return
        # WWW-Authenticate is required on a 401 (RFC 7235) and names the scheme to use.
        response = JSONResponse(
            {"detail": reason}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)
