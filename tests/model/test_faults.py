"""Each fault switch, from its environment variable to what a student observes."""

from __future__ import annotations

import re
import sys
import threading
import time

import pytest
from orchestra_model import faults
from orchestra_model.faults import FaultConfigError, Faults

from .conftest import wait_until

ROW = [[1.0] * 64]


def test_all_faults_are_off_by_default():
    parsed = Faults.from_env({})
    assert parsed == Faults()
    assert parsed.active == []


def test_env_names_parse_into_the_dataclass():
    env = {
        faults.CRASH_AT_START: "1",
        faults.SLOW_START_SECONDS: "7",
        faults.MEMORY_MB_PER_S: "16",
        faults.LATENCY_MS: "250.5",
        faults.ENDPOINTS: "true",
    }
    assert Faults.from_env(env) == Faults(True, 7.0, 16.0, 250.5, True)
    assert set(Faults.from_env(env).active) == set(faults.ENV_NAMES)


@pytest.mark.parametrize(
    "name, value",
    [
        (faults.LATENCY_MS, "-5"),
        (faults.LATENCY_MS, "fast"),
        (faults.SLOW_START_SECONDS, "nan"),
        (faults.MEMORY_MB_PER_S, "inf"),
        (faults.CRASH_AT_START, "maybe"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value):
    with pytest.raises(FaultConfigError, match=name):
        Faults.from_env({name: value})


def test_latency_adds_to_every_predict(make_client):
    client = make_client("v2", Faults(latency_ms=300))
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "readiness")
    start = time.perf_counter()
    assert client.post("/predict", json={"rows": ROW}).status_code == 200
    assert time.perf_counter() - start >= 0.3
    start = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    assert time.perf_counter() - start < 0.3  # only /predict is slowed


def test_slow_start_delays_readiness_not_liveness(make_client):
    started = time.monotonic()
    client = make_client("v2", Faults(slow_start_seconds=1.0))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert faults.SLOW_START_SECONDS in response.json()["reason"]
    assert client.get("/healthz").status_code == 200
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "readiness after delay")
    assert time.monotonic() - started >= 1.0


def held_bytes(client) -> float:
    text = client.get("/metrics").text
    return float(re.search(r"^model_fault_memory_held_bytes (\S+)$", text, re.M).group(1))


def test_memory_fault_holds_more_every_second(make_client):
    client = make_client("v2", Faults(memory_mb_per_s=2))
    assert held_bytes(client) < 2 * 2**20  # nothing before the first second
    wait_until(lambda: held_bytes(client) >= 4 * 2**20, 10, "4 MiB held after ~2 s")


def test_fault_exit_is_404_when_endpoints_are_off(ready_client):
    response = ready_client.post("/fault/exit")
    assert response.status_code == 404
    assert faults.ENDPOINTS in response.json()["detail"]
    assert "/fault/exit" not in ready_client.get("/openapi.json").json()["paths"]


def test_fault_exit_exits_with_code_1_after_answering(make_client):
    codes: list[int] = []
    called = threading.Event()

    def record(code: int) -> None:
        codes.append(code)
        called.set()

    client = make_client("v2", Faults(endpoints=True), exit_process=record)
    response = client.post("/fault/exit")
    assert response.status_code == 202
    assert called.wait(5), "exit_process was never called"
    assert codes == [1]


def test_crash_at_start_exits_1_before_serving(artifact_root):
    from orchestra_model.local import free_port

    from .conftest import start_server

    proc = start_server(artifact_root, free_port(), **{faults.CRASH_AT_START: "1"})
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert faults.CRASH_AT_START in out


def test_bad_fault_value_stops_the_server_with_code_2(artifact_root):
    from orchestra_model.local import free_port

    from .conftest import start_server

    proc = start_server(artifact_root, free_port(), **{faults.LATENCY_MS: "slow"})
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert faults.LATENCY_MS in out


def test_fault_names_are_importable_by_the_simulator():
    assert faults.ENV_NAMES == (
        "MODEL_FAULT_CRASH_AT_START",
        "MODEL_FAULT_SLOW_START_SECONDS",
        "MODEL_FAULT_MEMORY_MB_PER_S",
        "MODEL_FAULT_LATENCY_MS",
        "MODEL_FAULT_ENDPOINTS",
    )
    assert sys.modules["orchestra_model.faults"].Faults is Faults
