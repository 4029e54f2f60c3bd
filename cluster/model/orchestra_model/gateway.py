"""The gateway of the microservices lab: `python -m orchestra_model.gateway`, same image.

It forwards POST /predict to the model Service ($MODEL_URL, found by cluster DNS), with
the bearer token from $MODEL_TOKEN, and turns every way the call can fail into an answer
that says what to fix: 502 when the model's name does not resolve, refuses the connection
or refuses the token, 504 when it is too slow, the model's own 5xx status otherwise.

Readiness never asks the model. A gateway that turned unready whenever its backend failed
would take itself out of its own Service: a partial outage (the model down, the gateway
fine and able to say so with a 502 that explains) would become a full one (no endpoints,
connection refused), and since every replica probes the same backend they would all flap
in and out together. /readyz is 503 only while this process drains after SIGTERM.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from orchestra_model.auth import TOKEN_ENV
from orchestra_model.lifecycle import DrainingServer
from orchestra_model.server import DEFAULT_DRAIN_S, GRACEFUL_TIMEOUT_S, PodInfo

DEFAULT_MODEL_URL = "http://model"  # the model Service, by its name in this namespace
DEFAULT_TIMEOUT_S = 2.0
TIMEOUT_ENV = "GATEWAY_TIMEOUT_S"
# Headers of the model's answer the client gets too: which release and pod answered.
COPIED_HEADERS = ("X-Model-Version", "X-Pod")
# How a failed name lookup reads on Linux (glibc, musl), macOS and Windows.
NAME_FAILURE_WORDS = (
    "name resolution",
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated",
)

log = logging.getLogger("orchestra_model")


class GatewayConfigError(ValueError):
    """A gateway variable holds a value that cannot be used."""


@dataclass(frozen=True)
class GatewayConfig:
    """Where the model is, how long to wait for it, who this pod is, and the token."""

    model_url: str = DEFAULT_MODEL_URL
    timeout_s: float = DEFAULT_TIMEOUT_S
    pod: str = field(default_factory=socket.gethostname)
    token: str = field(default="", repr=False)  # repr=False: never in a log or traceback

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        """Read MODEL_URL, GATEWAY_TIMEOUT_S, POD_NAME and MODEL_TOKEN.

        Raises:
            GatewayConfigError: GATEWAY_TIMEOUT_S is not a number of seconds > 0.

        Example:
            >>> GatewayConfig.from_env({"GATEWAY_TIMEOUT_S": "0.5", "POD_NAME": "gw-1"})
            GatewayConfig(model_url='http://model', timeout_s=0.5, pod='gw-1')
        """
        env = os.environ if env is None else env
        raw = env.get(TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw) if raw else DEFAULT_TIMEOUT_S
        except ValueError:
            timeout = math.nan
        if not (math.isfinite(timeout) and timeout > 0):
            raise GatewayConfigError(
                f"{TIMEOUT_ENV}={raw!r}: expected a number of seconds > 0, e.g. {TIMEOUT_ENV}=2"
            )
        return cls(
            model_url=env.get("MODEL_URL") or DEFAULT_MODEL_URL,
            timeout_s=timeout,
            pod=env.get("POD_NAME") or PodInfo.from_env().pod,
            token=env.get(TOKEN_ENV, ""),
        )


class GatewayState:
    """Readiness of the gateway: true from the start until SIGTERM (see the module doc)."""

    def __init__(self) -> None:
        self.shutting_down = False

    def begin_shutdown(self) -> None:
        """Turn readiness false at once; requests are still forwarded while draining."""
        if not self.shutting_down:
            log.info("shutting down: readiness is now false")
        self.shutting_down = True


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from (httpx -> httpcore -> OSError)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_name_failure(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.ConnectError) and any(
        isinstance(e, socket.gaierror) or any(w in str(e).lower() for w in NAME_FAILURE_WORDS)
        for e in _chain(exc)
    )


def _short_reason(exc: Exception) -> str:
    """The most specific words for a failed call: "Connection refused", not a repr."""
    for e in reversed(list(_chain(exc))):
        # By errno: asyncio words a refusal "Connect call failed ('10.96.0.12', 80)".
        if isinstance(e, OSError) and e.errno and e.errno > 0:
            return os.strerror(e.errno)
    return str(exc) or type(exc).__name__


def failure_detail(exc: Exception, model_url: str) -> str:
    """What a client is told when the call to the model raised `exc` (not a timeout)."""
    if isinstance(exc, httpx.TransportError) and _is_name_failure(exc):
        host = httpx.URL(model_url).host
        return (
            f"cannot resolve {host!r} (MODEL_URL={model_url}): "
            "is there a Service of that name in this namespace?"
        )
    return f"cannot connect to {model_url}: {_short_reason(exc)}"


def create_app(
    config: GatewayConfig | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the gateway app; its httpx client lives as long as the app's lifespan.

    Args:
        config: Settings; default `GatewayConfig.from_env()`.
        transport: httpx transport to the model; tests pass `httpx.ASGITransport(model_app)`
            or an `httpx.MockTransport`. Default: real TCP.

    Example:
        >>> from fastapi.testclient import TestClient
        >>> with TestClient(create_app(GatewayConfig(pod="gw-1"))) as client:
        ...     client.get("/readyz").json()
        {'status': 'ready'}
    """
    config = GatewayConfig.from_env() if config is None else config
    state = GatewayState()
    predict_url = config.model_url.rstrip("/") + "/predict"
    upstream_headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    stamp = {"X-Gateway-Pod": config.pod}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # No keep-alive: a Service balances connections, not requests, so a kept-alive
        # connection would send all of this gateway's traffic to one model pod.
        # trust_env=False: a proxy from HTTP_PROXY must not sit between two pods.
        async with httpx.AsyncClient(
            transport=transport,
            timeout=config.timeout_s,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
        ) as client:
            app.state.client = client
            yield
        state.begin_shutdown()

    app = FastAPI(title="orchestra gateway", lifespan=lifespan)
    app.state.gateway = state

    def error(detail: str, status: int, upstream_status: int | None = None) -> JSONResponse:
        body: dict = {"detail": detail}
        if upstream_status is not None:
            body["upstream_status"] = upstream_status
        return JSONResponse(body, status_code=status, headers=stamp)

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        """Forward the body unchanged to $MODEL_URL/predict; explain every failure."""
        headers = {
            "Content-Type": request.headers.get("content-type", "application/json"),
            **upstream_headers,
        }
        try:
            upstream = await request.app.state.client.post(
                predict_url, content=await request.body(), headers=headers
            )
        except httpx.TimeoutException:
            return error(f"the model did not answer within {config.timeout_s:g} s", 504)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            return error(failure_detail(exc, config.model_url), 502)
        status = upstream.status_code
        copied = {k: upstream.headers[k] for k in COPIED_HEADERS if k in upstream.headers}
        if status == 200:
            try:
                body = upstream.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return error("model answered 200 without a JSON object", 502, status)
            return JSONResponse({**body, "gateway": config.pod}, headers={**copied, **stamp})
        if status == 401:
            detail = (
                "the model refused the gateway's token (401): "
                f"set {TOKEN_ENV} from the model's Secret"
            )
            return error(detail, 502, status)
        if status == 422:  # the client's rows are wrong: its problem, said by the model
            return Response(
                upstream.content,
                status_code=422,
                media_type=upstream.headers.get("content-type"),
                headers={**copied, **stamp},
            )
        # 5xx keeps its status (503: the model is still loading); any other answer
        # (404: MODEL_URL names something that is not the model) is a bad gateway.
        return error(f"model answered {status}", status if status >= 500 else 502, status)

    @app.get("/healthz")
    async def healthz() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "draining after SIGTERM"}})
    async def readyz() -> JSONResponse:
        """Readiness: true while not shutting down; never depends on the model."""
        if state.shutting_down:
            return JSONResponse({"status": "shutting down"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/version")
    async def version_info() -> dict:
        return {"app": "gateway", "model_url": config.model_url}

    return app


def main() -> None:
    """Serve on $HOST:$PORT (default 0.0.0.0:8080) until SIGTERM."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # httpx logs every request at INFO: that is a per-request access log, which we avoid.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = GatewayConfig.from_env()
    except GatewayConfigError as exc:
        print(f"bad gateway setting: {exc}", file=sys.stderr)
        sys.exit(2)
    log.info(
        "gateway: POST /predict goes to %s (timeout %g s, bearer token %s)",
        config.model_url,
        config.timeout_s,
        "set" if config.token else "not set",
    )
    app = create_app(config)
    uvicorn_config = uvicorn.Config(
        app,
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8080")),
        timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
        access_log=False,  # one line per request costs throughput, as in the model
        log_level="info",
    )
    drain = float(os.environ.get("SHUTDOWN_DRAIN_SECONDS", DEFAULT_DRAIN_S))
    DrainingServer(uvicorn_config, state=app.state.gateway, drain_seconds=drain).run()


if __name__ == "__main__":
    # Run the copy imported under its real name, as orchestra_model.server does.
    from orchestra_model.gateway import main as _main

    _main()
