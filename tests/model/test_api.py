"""The HTTP API in-process with FastAPI's TestClient: predictions, validation, probes."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
from orchestra_model import artifacts, data
from orchestra_model.server import MAX_ROWS

from .conftest import POD, wait_until

N = data.N_FEATURES


def test_predict_single_row_matches_the_model(ready_client, artifact_root):
    row = data.sample_rows(1, seed=3)
    response = ready_client.post("/predict", json={"rows": row})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "predictions": artifacts.load("v2", artifact_root).predict(row),
        "version": "v2",
        "pod": POD.pod,
    }
    assert response.headers["X-Model-Version"] == "v2"
    assert response.headers["X-Pod"] == POD.pod


def test_predict_batch_of_the_maximum_size_is_accurate(ready_client):
    _, x_test, _, y_test = data.split()
    rows = x_test[:MAX_ROWS].tolist()
    response = ready_client.post("/predict", json={"rows": rows})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == len(rows)
    assert np.mean(np.asarray(predictions) == y_test[: len(rows)]) > 0.95


def row(value=1.0, n=N):
    return [value] * n


BAD_BODIES = {
    "no rows": {"rows": []},
    "too many rows": {"rows": [row()] * (MAX_ROWS + 1)},
    "short row": {"rows": [row(n=N - 1)]},
    "long row": {"rows": [row(n=N + 1)]},
    "string number": {"rows": [["1.0", *row(n=N - 1)]]},
    "null": {"rows": [[None, *row(n=N - 1)]]},
    "boolean": {"rows": [[True, *row(n=N - 1)]]},
    "nested": {"rows": [[[1.0], *row(n=N - 1)]]},
    "rows not a list": {"rows": "1,2,3"},
    "missing rows": {"data": [row()]},
    "extra field": {"rows": [row()], "debug": True},
    "body is a list": [row()],
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_are_422_with_a_message(ready_client, body):
    response = ready_client.post("/predict", json=body)
    assert response.status_code == 422
    assert "finite numbers" in response.json()["message"]
    assert response.headers["X-Model-Version"] == "v2"


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422(ready_client, token):
    raw = '{"rows": [[' + ",".join([token] + ["1"] * (N - 1)) + "]]}"
    response = ready_client.post(
        "/predict", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_malformed_json_is_422(ready_client):
    response = ready_client.post(
        "/predict", content=b'{"rows": [[1,', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_huge_finite_numbers_do_not_500(ready_client):
    response = ready_client.post("/predict", json={"rows": [row(1.7e308), row(-1.7e308)]})
    assert response.status_code == 200
    assert all(p in data.CLASSES for p in response.json()["predictions"])


def test_readyz_is_503_until_the_model_is_loaded(make_client, artifact_root):
    gate = threading.Event()

    def slow_loader():
        gate.wait(10)
        return artifacts.load("v1", artifact_root)

    client = make_client("v1", loader=slow_loader)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "loading model"
    assert client.get("/healthz").status_code == 200
    assert client.post("/predict", json={"rows": [row()]}).status_code == 503
    gate.set()
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "readiness after load")
    assert client.post("/predict", json={"rows": [row()]}).status_code == 200


def test_readyz_is_503_during_shutdown_while_requests_still_work(ready_client):
    ready_client.app.state.service.begin_shutdown()
    response = ready_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "shutting down"
    assert ready_client.get("/healthz").status_code == 200
    # In-flight and lame-duck requests are still answered while endpoints drain.
    assert ready_client.post("/predict", json={"rows": [row()]}).status_code == 200


def test_version_reports_release_hash_and_downward_api_identity(ready_client, artifact_root):
    body = ready_client.get("/version").json()
    assert body == {
        "version": "v2",
        "sha256": artifacts.load("v2", artifact_root).sha256,
        "pod": POD.pod,
        "node": POD.node,
        "namespace": POD.namespace,
    }


def test_every_response_carries_identity_headers(ready_client):
    for method, path in [("get", "/healthz"), ("get", "/nope"), ("get", "/metrics")]:
        response = getattr(ready_client, method)(path)
        assert response.headers["X-Model-Version"] == "v2", path
        assert response.headers["X-Pod"] == POD.pod, path


def test_metrics_count_requests_by_path_and_status(ready_client):
    ready_client.post("/predict", json={"rows": [row()]})
    ready_client.post("/predict", json={"rows": []})
    ready_client.get("/definitely-not-an-endpoint")
    response = ready_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'model_requests_total{path="/predict",status="200"} 1.0' in text
    assert 'model_requests_total{path="/predict",status="422"} 1.0' in text
    assert 'model_requests_total{path="other",status="404"} 1.0' in text
    assert 'model_request_duration_seconds_count{path="/predict"} 2.0' in text
    assert "model_ready 1.0" in text


def test_v3_is_alive_but_never_ready(make_client):
    client = make_client("v3")
    state = client.app.state.service
    assert state.loaded.wait(10), "the v3 load attempt never finished"
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "integrity check" in response.json()["reason"]
    assert client.post("/predict", json={"rows": [row()]}).status_code == 503
    assert client.get("/version").json()["sha256"] is None


# --- MODEL_TOKEN: the bearer token POST /predict asks for when it is set ---------------

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def token_client(make_client):
    """A ready v2 app that requires TOKEN on /predict."""
    client = make_client("v2", token=TOKEN)
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "v2 to become ready")
    return client


@pytest.mark.parametrize(
    "headers, detail",
    [
        ({}, "missing bearer token"),
        ({"Authorization": ""}, "missing bearer token"),
        ({"Authorization": "Bearer "}, "missing bearer token"),
        ({"Authorization": f"Basic {TOKEN}"}, "missing bearer token"),
        ({"Authorization": TOKEN}, "missing bearer token"),
        ({"Authorization": "Bearer not-the-token"}, "wrong bearer token"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "wrong bearer token"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "wrong bearer token"),
    ],
    ids=["none", "empty", "no token", "basic", "no scheme", "wrong", "longer", "shorter"],
)
def test_predict_without_the_right_token_is_401(token_client, headers, detail):
    response = token_client.post("/predict", json={"rows": [row()]}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["X-Model-Version"] == "v2"  # identity headers on a 401 too


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_predict_with_the_token_answers(token_client, scheme):
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    response = token_client.post("/predict", json={"rows": [row()]}, headers=headers)
    assert response.status_code == 200
    assert response.json()["version"] == "v2"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"rows": []}},
        {"content": b'{"rows": [[1,', "headers": {"content-type": "application/json"}},
    ],
    ids=["bad rows", "malformed json"],
)
def test_the_token_is_checked_before_the_body(token_client, kwargs):
    # An unauthenticated client learns nothing of the API, not even the shape of a row.
    response = token_client.post("/predict", **kwargs)
    assert response.status_code == 401
    assert "rows" not in response.text
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {TOKEN}"}
    assert token_client.post("/predict", headers=headers, **kwargs).status_code == 422


def test_probes_version_and_metrics_need_no_token(token_client):
    for path in ("/healthz", "/readyz", "/version", "/metrics"):
        assert token_client.get(path).status_code == 200, path


def test_401s_are_counted_in_metrics(token_client):
    token_client.post("/predict", json={"rows": [row()]})
    assert 'model_requests_total{path="/predict",status="401"} 1.0' in (
        token_client.get("/metrics").text
    )


def test_the_token_never_appears_in_answers_or_logs(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client("v2", token=TOKEN)
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "v2 to become ready")
    answers = [
        client.post("/predict", json={"rows": [row()]}),
        client.post("/predict", json={"rows": [row()]}, headers={"Authorization": "Bearer x"}),
        client.post(
            "/predict", json={"rows": [row()]}, headers={"Authorization": f"Bearer {TOKEN}"}
        ),
        *(client.get(path) for path in ("/version", "/readyz", "/metrics", "/openapi.json")),
    ]
    assert [a.status_code for a in answers] == [401, 401, 200, 200, 200, 200, 200]
    for answer in answers:
        assert TOKEN not in answer.text, answer.url
        assert TOKEN not in str(answer.headers), answer.url
    assert "MODEL_TOKEN is set" in caplog.text  # the server does log that a token is needed
    assert TOKEN not in caplog.text


def test_model_token_comes_from_the_environment(make_client, monkeypatch):
    monkeypatch.setenv("MODEL_TOKEN", TOKEN)
    client = make_client("v2")
    assert client.post("/predict", json={"rows": [row()]}).status_code == 401


def test_an_empty_model_token_asks_for_none(make_client, monkeypatch):
    monkeypatch.setenv("MODEL_TOKEN", "")
    client = make_client("v2")
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "v2 to become ready")
    assert client.post("/predict", json={"rows": [row()]}).status_code == 200
