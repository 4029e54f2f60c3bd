"""Fixtures for the model service tests: artifacts in a temporary folder, apps, waits."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from orchestra_model import artifacts, local
from orchestra_model.faults import Faults
from orchestra_model.server import PodInfo, create_app

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "cluster" / "model"
POD = PodInfo(pod="model-7d9f-abcde", node="worker-1", namespace="labs")


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `predicate` until it returns something truthy; fail with `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def artifact_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All three releases, trained once per session into a temporary folder."""
    root = tmp_path_factory.mktemp("artifacts")
    for version in ("v1", "v2", "v3"):
        artifacts.ensure(version, root)
    return root


@pytest.fixture
def make_client(artifact_root: Path) -> Iterator[Callable[..., TestClient]]:
    """Build a started TestClient (lifespan entered) for an app; closed after the test."""
    clients: list[TestClient] = []

    def build(version: str = "v2", faults: Faults | None = None, **kwargs) -> TestClient:
        app = create_app(version, root=artifact_root, faults=faults or Faults(), pod=POD, **kwargs)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def ready_client(make_client) -> TestClient:
    """A v2 app whose model is loaded (readiness waited on, not assumed)."""
    client = make_client("v2")
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "v2 to become ready")
    return client


def start_server(artifact_root: Path, port: int, **env: str) -> subprocess.Popen:
    """The real server (v2, as pod POD) on 127.0.0.1:port, through the one local runner."""
    return local.spawn("v2", port, artifacts=artifact_root, POD_NAME=POD.pod, **env)
