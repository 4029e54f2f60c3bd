"""The HTTP face of the model: FastAPI app and the `python -m orchestra_model.server` entry.

Endpoints: POST /predict, GET /healthz (liveness), GET /readyz (readiness), GET /version,
GET /metrics, and POST /fault/exit when MODEL_FAULT_ENDPOINTS=1. Every response carries
X-Model-Version and X-Pod, so a student sees which pod of which release answered. With
MODEL_TOKEN set, POST /predict needs `Authorization: Bearer <token>` (orchestra_model.auth).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from orchestra_model import artifacts
from orchestra_model.auth import TOKEN_ENV, BearerAuth
from orchestra_model.data import N_FEATURES
from orchestra_model.faults import ENDPOINTS, FaultConfigError, Faults
from orchestra_model.lifecycle import DrainingServer, ServiceState
from orchestra_model.metrics import InstrumentMiddleware, Metrics

MAX_ROWS = 1000  # bounds one request's work: 1000 rows take about a millisecond
# 20 s: uvicorn's wait for in-flight requests; with the 5 s preStop sleep it stays
# inside Kubernetes' default terminationGracePeriodSeconds of 30 s.
GRACEFUL_TIMEOUT_S = 20
DEFAULT_DRAIN_S = 2.0

log = logging.getLogger("orchestra_model")

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Row = Annotated[list[Number], Field(min_length=N_FEATURES, max_length=N_FEATURES)]


class PredictRequest(BaseModel):
    """A batch of rows, each of N_FEATURES finite numbers."""

    model_config = ConfigDict(extra="forbid")
    rows: list[Row] = Field(min_length=1, max_length=MAX_ROWS)


class PredictResponse(BaseModel):
    """One prediction per row, and who made them."""

    predictions: list[int]
    version: str
    pod: str


@dataclass(frozen=True)
class PodInfo:
    """Identity from the downward API (env POD_NAME, NODE_NAME, POD_NAMESPACE)."""

    pod: str = field(default_factory=socket.gethostname)
    node: str = "unknown"
    namespace: str = "unknown"

    @classmethod
    def from_env(cls) -> PodInfo:
        """Read the downward-API variables; outside Kubernetes the hostname is the pod."""
        return cls(
            pod=os.environ.get("POD_NAME") or socket.gethostname(),
            node=os.environ.get("NODE_NAME") or "unknown",
            namespace=os.environ.get("POD_NAMESPACE") or "unknown",
        )


def create_app(
    version: str | None = None,
    *,
    root: Path | None = None,
    faults: Faults | None = None,
    pod: PodInfo | None = None,
    loader: Callable[[], artifacts.Model] | None = None,
    exit_process: Callable[[int], object] = os._exit,
    token: str | None = None,
) -> FastAPI:
    """Build the app. Loading starts with the app's lifespan, in a background thread.

    Args:
        version: Release to serve; default env MODEL_VERSION, else "v1".
        root: Artifact folder; default `artifacts.default_root()`.
        faults: Fault switches; default parsed from the environment.
        pod: Pod identity; default from the downward-API environment.
        loader: Returns the model; default `artifacts.load(version, root)`.
        exit_process: Called by POST /fault/exit (tests pass a recorder).
        token: Bearer token POST /predict requires; default env MODEL_TOKEN; "" or
            unset: no token needed.

    Example:
        >>> from fastapi.testclient import TestClient
        >>> with TestClient(create_app("v1")) as client:  # doctest: +SKIP
        ...     client.get("/healthz").status_code
        200
    """
    version = version or os.environ.get("MODEL_VERSION") or "v1"
    faults = Faults.from_env() if faults is None else faults
    pod = PodInfo.from_env() if pod is None else pod
    token = os.environ.get(TOKEN_ENV, "") if token is None else token
    state = ServiceState(version, faults, loader or (lambda: artifacts.load(version, root)))
    metrics = Metrics(version)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.start()
        yield
        state.stop()

    app = FastAPI(title="orchestra model", version=version, lifespan=lifespan)
    app.state.service = state
    app.state.metrics = metrics
    if token:
        # Added before the instrumentation, so it runs inside it: a 401 is counted in
        # /metrics and carries X-Model-Version and X-Pod like every other answer.
        app.add_middleware(BearerAuth, token=token)
        log.info("%s is set: POST /predict needs 'Authorization: Bearer <token>'", TOKEN_ENV)
    app.add_middleware(
        InstrumentMiddleware,
        metrics=metrics,
        headers={"X-Model-Version": version, "X-Pod": pod.pod},
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Keep where and why; drop the echoed input (up to 1000 rows) from the answer.
        errors = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors()[:20]]
        message = (
            f"expected {{'rows': [[{N_FEATURES} finite numbers], ...]}} with 1..{MAX_ROWS} rows"
        )
        return JSONResponse({"detail": errors, "message": message}, status_code=422)

    predicted = metrics.predictions.labels(version)

    @app.post("/predict", response_model=PredictResponse)
    async def predict(body: PredictRequest) -> PredictResponse | JSONResponse:
        model = state.model
        if model is None:
            return JSONResponse({"detail": state.reason}, status_code=503)
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        predictions = model.predict(body.rows)
        predicted.inc(len(predictions))
        # A Response is sent as is: FastAPI skips re-validating it against the
        # response_model, which still documents the shape in the OpenAPI schema.
        return JSONResponse({"predictions": predictions, "version": version, "pod": pod.pod})

    @app.get("/healthz")
    async def healthz() -> dict:
        """Liveness: the process answers. Never depends on the model."""
        return {"status": "alive"}

    @app.get("/readyz", responses={503: {"description": "not ready, with the reason"}})
    async def readyz() -> JSONResponse:
        """Readiness: model loaded, verified, warmed, and not shutting down."""
        ready = state.ready
        metrics.ready.set(1 if ready else 0)
        body = {"ready": ready, "version": version, "reason": state.reason}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/version")
    async def version_info() -> dict:
        sha = state.model.sha256 if state.model is not None else None
        return {
            "version": version,
            "sha256": sha,
            "pod": pod.pod,
            "node": pod.node,
            "namespace": pod.namespace,
        }

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        metrics.ready.set(1 if state.ready else 0)
        metrics.memory_held.set(state.hog.held_bytes if state.hog is not None else 0)
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post("/fault/exit", status_code=202, include_in_schema=faults.endpoints)
    async def fault_exit(background: BackgroundTasks) -> JSONResponse:
        if not faults.endpoints:
            return JSONResponse({"detail": f"fault endpoints are off; set {ENDPOINTS}=1"}, 404)
        # Exit after the answer is sent, so the caller sees 202 before the crash.
        background.add_task(exit_process, 1)
        return JSONResponse({"detail": "exiting with code 1"}, 202, background=background)

    return app


def main() -> None:
    """Serve on $HOST:$PORT (default 0.0.0.0:8080) until SIGTERM."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        faults = Faults.from_env()
    except FaultConfigError as exc:
        print(f"bad fault setting: {exc}", file=sys.stderr)
        sys.exit(2)
    if faults.crash_at_start:
        print("MODEL_FAULT_CRASH_AT_START=1: exiting with code 1 on purpose", file=sys.stderr)
        sys.exit(1)
    if faults.active:
        log.warning("faults on: %s", ", ".join(faults.active))
    app = create_app(faults=faults)
    config = uvicorn.Config(
        app,
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8080")),
        timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
        access_log=False,  # one line per request costs throughput; /metrics counts them
        log_level="info",
    )
    drain = float(os.environ.get("SHUTDOWN_DRAIN_SECONDS", DEFAULT_DRAIN_S))
    DrainingServer(config, app.state.service, drain_seconds=drain).run()


if __name__ == "__main__":
    # Run the copy imported under its real name, not this `__main__` one: pydantic and
    # FastAPI resolve the models' annotations through the defining module's name.
    from orchestra_model.server import main as _main

    _main()
