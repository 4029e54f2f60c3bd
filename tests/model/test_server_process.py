"""The real server process: uvicorn on 127.0.0.1, SIGTERM draining, /fault/exit."""

from __future__ import annotations

import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from orchestra_model import faults
from orchestra_model.local import free_port

from .conftest import start_server, wait_until

ROW = [[1.0] * 64]


def probe(url: str) -> int | None:
    """Status code of GET url, or None when nothing answers."""
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return None


def in_flight(base: str) -> float:
    """The server's own count of /predict requests begun and not yet answered."""
    text = httpx.get(f"{base}/metrics", timeout=2).text
    match = re.search(r'^model_requests_in_flight\{path="/predict"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def server(artifact_root, request):
    """Start a server with the env given by indirect parametrisation; kill it at the end."""
    port = free_port()
    proc = start_server(artifact_root, port, **getattr(request, "param", {}))
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, f"server exited early:\n{proc.stdout.read()}"
        return probe(f"{base}/readyz") == 200

    wait_until(ready, 30, "the server process to become ready")
    yield proc, base
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


@pytest.mark.parametrize(
    "server", [{faults.LATENCY_MS: "2500", "SHUTDOWN_DRAIN_SECONDS": "1.5"}], indirect=True
)
def test_sigterm_turns_unready_finishes_in_flight_and_exits_0(server):
    proc, base = server
    n = 6
    with ThreadPoolExecutor(n) as pool:
        futures = [
            pool.submit(httpx.post, f"{base}/predict", json={"rows": ROW}, timeout=10)
            for _ in range(n)
        ]
        # All n requests are inside the 2.5 s latency fault before the signal goes out, so
        # they outlive the 1.5 s drain: uvicorn must finish them after closing its socket.
        wait_until(lambda: in_flight(base) == n, 5, f"{n} requests in flight")
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # Readiness drops at once; the lame-duck server still answers probes meanwhile.
        wait_until(lambda: probe(f"{base}/readyz") == 503, 1.4, "readiness to drop")
        statuses = [future.result().status_code for future in futures]
    assert statuses == [200] * n
    assert proc.wait(timeout=25) == 0
    # 1.5 s drain, then the rest of the 2.5 s latency: far inside the 30 s grace period.
    assert time.monotonic() - sent_at < 10
    assert probe(f"{base}/healthz") is None


@pytest.mark.parametrize("server", [{faults.ENDPOINTS: "1"}], indirect=True)
def test_fault_exit_kills_the_process_with_code_1(server):
    proc, base = server
    assert httpx.post(f"{base}/fault/exit", timeout=5).status_code == 202
    assert proc.wait(timeout=10) == 1


def test_sigterm_during_slow_start_exits_0_promptly(artifact_root):
    port = free_port()
    proc = start_server(artifact_root, port, **{faults.SLOW_START_SECONDS: "60"})
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: probe(f"{base}/healthz") == 200, 30, "liveness")
        assert probe(f"{base}/readyz") == 503
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        proc.kill()
