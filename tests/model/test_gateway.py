"""The gateway (orchestra_model.gateway): in front of the real model app in-process, in
front of fakes that fail the way a network does, and as a real process."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading

import httpx
import pytest
from fastapi.testclient import TestClient
from orchestra_model import artifacts
from orchestra_model.gateway import GatewayConfig, GatewayConfigError, create_app
from orchestra_model.local import PACKAGE_PARENT, free_port

from .conftest import POD, start_server, wait_until

TOKEN = "gateway-test-token-0123"
GW_POD = "gateway-5c8d-xyz12"
ROWS = {"rows": [[1.0] * 64]}


@pytest.fixture
def make_gateway():
    """Build a started gateway TestClient: make_gateway(transport, **GatewayConfig fields)."""
    clients: list[TestClient] = []

    def build(transport: httpx.AsyncBaseTransport, **config) -> TestClient:
        config = {"model_url": "http://model", "pod": GW_POD, "timeout_s": 0.5, **config}
        client = TestClient(create_app(GatewayConfig(**config), transport=transport))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def model(make_client):
    """The real v2 model app, ready, asking for TOKEN."""
    client = make_client("v2", token=TOKEN)
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "the model to be ready")
    return client


def mock(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def raising(exc: Exception):
    """A transport handler that fails every request with `exc` (given the request)."""

    def handler(request: httpx.Request):
        exc.request = request
        raise exc

    return handler


# --- in front of the real model ----------------------------------------------------------


def test_forwards_to_the_model_and_says_who_answered(model, make_gateway, artifact_root):
    gateway = make_gateway(httpx.ASGITransport(model.app), token=TOKEN)
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 200
    assert response.json() == {
        "predictions": artifacts.load("v2", artifact_root).predict(ROWS["rows"]),
        "version": "v2",
        "pod": POD.pod,
        "gateway": GW_POD,
    }
    assert response.headers["X-Model-Version"] == "v2"
    assert response.headers["X-Pod"] == POD.pod
    assert response.headers["X-Gateway-Pod"] == GW_POD


@pytest.mark.parametrize("token", ["", "not-the-model-token"], ids=["no token", "wrong"])
def test_a_token_the_model_refuses_is_502_saying_which_secret(model, make_gateway, token):
    gateway = make_gateway(httpx.ASGITransport(model.app), token=token)
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 502
    assert response.json() == {
        "detail": "the model refused the gateway's token (401): "
        "set MODEL_TOKEN from the model's Secret",
        "upstream_status": 401,
    }


def test_bad_rows_are_the_models_422_unchanged(model, make_gateway):
    gateway = make_gateway(httpx.ASGITransport(model.app), token=TOKEN)
    bad = {"rows": [[1.0] * 3]}
    direct = model.post("/predict", json=bad, headers={"Authorization": f"Bearer {TOKEN}"})
    response = gateway.post("/predict", json=bad)
    assert direct.status_code == response.status_code == 422
    assert response.content == direct.content
    assert response.headers["content-type"] == "application/json"


def test_a_loading_model_is_503_through_the_gateway(make_client, make_gateway, artifact_root):
    gate = threading.Event()

    def slow_loader():
        gate.wait(10)
        return artifacts.load("v2", artifact_root)

    model = make_client("v2", loader=slow_loader)
    gateway = make_gateway(httpx.ASGITransport(model.app))
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 503
    assert response.json() == {"detail": "model answered 503", "upstream_status": 503}
    assert gateway.get("/readyz").status_code == 200  # the model's trouble, not the gateway's
    gate.set()
    wait_until(lambda: model.get("/readyz").status_code == 200, 10, "the model to load")
    assert gateway.post("/predict", json=ROWS).status_code == 200


# --- what the gateway sends ----------------------------------------------------------------


def test_sends_the_body_unchanged_with_its_own_token(make_gateway):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"predictions": [1], "version": "v2", "pod": "m"})

    gateway = make_gateway(mock(handler), model_url="http://model.labs:8080/", token=TOKEN)
    raw = b'{ "rows" : [[1, 2.5e0, 3]] }'  # odd spacing: re-encoding would change it
    headers = {"content-type": "application/json", "Authorization": "Bearer client-secret"}
    assert gateway.post("/predict", content=raw, headers=headers).status_code == 200
    (request,) = seen
    assert str(request.url) == "http://model.labs:8080/predict"
    assert request.method == "POST"
    assert request.content == raw
    assert request.headers["content-type"] == "application/json"
    # The gateway's own token, never the one the client sent.
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_sends_no_authorization_without_a_token(make_gateway):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"predictions": [1]})

    gateway = make_gateway(mock(handler))
    gateway.post("/predict", json=ROWS, headers={"Authorization": "Bearer client-secret"})
    assert "authorization" not in seen[0].headers


# --- every way the call can fail -----------------------------------------------------------


def name_error() -> httpx.ConnectError:
    # The message alone says nothing of names: the cause must be looked at.
    exc = httpx.ConnectError("All connection attempts failed")
    exc.__cause__ = socket.gaierror(socket.EAI_NONAME, "lookup failed")
    return exc


FAILURES = {
    "gaierror cause": (
        name_error(),
        502,
        "cannot resolve 'modle' (MODEL_URL=http://modle:8080): "
        "is there a Service of that name in this namespace?",
    ),
    "name resolution words only": (
        httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
        502,
        "cannot resolve 'modle' (MODEL_URL=http://modle:8080): "
        "is there a Service of that name in this namespace?",
    ),
    "refused": (
        httpx.ConnectError("All connection attempts failed"),
        502,
        "cannot connect to http://modle:8080: Connection refused",
    ),
    "reset": (
        httpx.ReadError("connection reset"),
        502,
        "cannot connect to http://modle:8080: Connection reset by peer",
    ),
    "connect timeout": (
        httpx.ConnectTimeout("timed out"),
        504,
        "the model did not answer within 0.5 s",
    ),
    "read timeout": (httpx.ReadTimeout("timed out"), 504, "the model did not answer within 0.5 s"),
}
FAILURES["refused"][0].__cause__ = ConnectionRefusedError(111, "Connect call failed")
FAILURES["reset"][0].__cause__ = ConnectionResetError(104, "reset")


@pytest.mark.parametrize("exc, status, detail", FAILURES.values(), ids=FAILURES.keys())
def test_transport_failures_say_what_to_fix(make_gateway, exc, status, detail):
    gateway = make_gateway(mock(raising(exc)), model_url="http://modle:8080")
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert response.headers["X-Gateway-Pod"] == GW_POD


def test_a_real_refused_connection_is_502(make_gateway):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gateway = make_gateway(None, model_url=url)
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 502
    assert response.json() == {"detail": f"cannot connect to {url}: Connection refused"}


def test_the_timeout_is_reported_as_configured(make_gateway):
    gateway = make_gateway(mock(raising(httpx.ReadTimeout("x"))), timeout_s=2.0)
    assert gateway.post("/predict", json=ROWS).json() == {
        "detail": "the model did not answer within 2 s"
    }


@pytest.mark.parametrize("status", [500, 503, 504])
def test_model_5xx_keeps_its_status(make_gateway, status):
    gateway = make_gateway(mock(lambda request: httpx.Response(status, json={"detail": "x"})))
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == status
    assert response.json() == {"detail": f"model answered {status}", "upstream_status": status}


def test_a_422_passes_through_byte_for_byte(make_gateway):
    body = b'{"detail":[{"loc":["body","rows"],"msg":"too short"}],"message":"m"}'
    answer = httpx.Response(422, content=body, headers={"content-type": "application/json"})
    gateway = make_gateway(mock(lambda request: answer))
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 422
    assert response.content == body


def test_a_401_is_502_not_passed_on(make_gateway):
    answer = httpx.Response(401, json={"detail": "wrong bearer token"})
    gateway = make_gateway(mock(lambda request: answer), token="stale")
    response = gateway.post("/predict", json=ROWS)
    assert response.status_code == 502
    assert response.json()["upstream_status"] == 401
    assert "WWW-Authenticate" not in response.headers  # the client's credentials are fine


# --- readiness, identity, settings ---------------------------------------------------------


def test_readiness_does_not_depend_on_the_model(make_gateway):
    calls: list[httpx.Request] = []

    def down(request: httpx.Request):
        calls.append(request)
        raise name_error()

    gateway = make_gateway(mock(down))
    assert gateway.post("/predict", json=ROWS).status_code == 502
    assert gateway.get("/readyz").status_code == 200
    assert gateway.get("/readyz").json() == {"status": "ready"}
    assert gateway.get("/healthz").json() == {"status": "ok"}
    assert len(calls) == 1  # the probes never called the model


def test_readiness_drops_on_shutdown_while_requests_still_go_through(make_gateway):
    answer = httpx.Response(200, json={"predictions": [1]})
    gateway = make_gateway(mock(lambda request: answer))
    gateway.app.state.gateway.begin_shutdown()
    response = gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "shutting down"}
    assert gateway.get("/healthz").status_code == 200
    assert gateway.post("/predict", json=ROWS).status_code == 200


def test_version_names_the_app_and_the_model_url_never_the_token(make_gateway, caplog):
    caplog.set_level(logging.DEBUG)
    handler = raising(httpx.ConnectError("All connection attempts failed"))
    gateway = make_gateway(mock(handler), model_url="http://model.labs", token=TOKEN)
    version = gateway.get("/version")
    assert version.json() == {"app": "gateway", "model_url": "http://model.labs"}
    failed = gateway.post("/predict", json=ROWS)
    for answer in (version, failed):
        assert TOKEN not in answer.text
        assert TOKEN not in str(answer.headers)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(gateway.app.state) + repr(GatewayConfig(token=TOKEN))


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("POD_NAME", "from-downward-api")
    assert GatewayConfig.from_env({}) == GatewayConfig("http://model", 2.0, "from-downward-api", "")
    env = {
        "MODEL_URL": "http://model.other:9000",
        "GATEWAY_TIMEOUT_S": "0.25",
        "POD_NAME": "gw-1",
        "MODEL_TOKEN": TOKEN,
    }
    assert GatewayConfig.from_env(env) == GatewayConfig(
        "http://model.other:9000", 0.25, "gw-1", TOKEN
    )


@pytest.mark.parametrize("value", ["fast", "0", "-1", "nan", "inf"])
def test_a_bad_timeout_is_refused_with_the_variable_named(value):
    with pytest.raises(GatewayConfigError, match="GATEWAY_TIMEOUT_S"):
        GatewayConfig.from_env({"GATEWAY_TIMEOUT_S": value})


# --- the real process ---------------------------------------------------------------------


def spawn_gateway(port: int, **env: str) -> subprocess.Popen:
    """`python -m orchestra_model.gateway` as the image runs it, on 127.0.0.1:port."""
    child_env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "POD_NAME": GW_POD,
        "PYTHONPATH": str(PACKAGE_PARENT),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "orchestra_model.gateway"],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_bad_timeout_exits_2_with_the_reason():
    proc = spawn_gateway(free_port(), GATEWAY_TIMEOUT_S="soon")
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "GATEWAY_TIMEOUT_S='soon'" in output


def status_of(method: str, url: str, **kwargs) -> int | None:
    try:
        return httpx.request(method, url, timeout=5, **kwargs).status_code
    except httpx.TransportError:
        return None


def test_gateway_process_in_front_of_the_model_process(artifact_root):
    model_port, gateway_port = free_port(), free_port()
    model = start_server(artifact_root, model_port, MODEL_TOKEN=TOKEN)
    gateway = spawn_gateway(
        gateway_port,
        MODEL_URL=f"http://127.0.0.1:{model_port}",
        MODEL_TOKEN=TOKEN,
        SHUTDOWN_DRAIN_SECONDS="0.5",
    )
    base = f"http://127.0.0.1:{gateway_port}"
    try:
        wait_until(lambda: status_of("GET", f"{base}/readyz") == 200, 30, "the gateway")
        # Ready at once, while the model may still be loading: 503 until it is.
        wait_until(
            lambda: status_of("POST", f"{base}/predict", json=ROWS) == 200, 30, "a prediction"
        )
        answer = httpx.post(f"{base}/predict", json=ROWS, timeout=5)
        assert answer.json()["gateway"] == GW_POD
        assert answer.headers["X-Pod"] == POD.pod
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=15) == 0
    finally:
        for proc in (gateway, model):
            if proc.poll() is None:
                proc.kill()
            proc.wait(5)
    logs = gateway.stdout.read() + model.stdout.read()
    assert "shutting down" in logs
    # No line per request: neither uvicorn's access log nor httpx's "HTTP Request: ..."
    assert '"POST /predict' not in logs
    assert "HTTP Request" not in logs
    assert TOKEN not in logs
