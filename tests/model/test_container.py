"""The model image for real: built with the Docker SDK and run as Kubernetes would run it.

Needs a Docker engine and the local base image `orchestra/base:bookworm-python`; both come
from `bash .ci/docker-engine.sh`. Without them the tests skip with the reason, unless
LAB_REQUIRE_DOCKER=1 (CI), where they fail instead. Containers listen on 127.0.0.1 only:
published there when the engine has a bridge network, or with host networking and the
server bound to 127.0.0.1 when it has none (this sandbox's dockerd runs --bridge=none).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from orchestra_model import data, faults
from orchestra_model.local import free_port

from tests import tiers

from .conftest import MODEL_DIR, wait_until

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

BASE_IMAGE = os.environ.get("ORCHESTRA_BASE_IMAGE", "orchestra/base:bookworm-python")
TEST_REPO = "orchestra/model-test"  # not orchestra/model: never overwrite the lab images
SIZE_GOAL = 250 * 1000 * 1000  # bytes, as `docker images` counts MB
UID = 10001


def unavailable(reason: str):
    """Skip with the reason, or fail when CI requires Docker (LAB_REQUIRE_DOCKER=1)."""
    tiers.unavailable(
        "docker", f"{reason}. Run `bash .ci/docker-engine.sh` (as root) to start one."
    )


@pytest.fixture(scope="module")
def engine():
    import docker

    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except Exception as exc:
        unavailable(f"no Docker engine is reachable ({type(exc).__name__}: {exc})")
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        unavailable(f"the base image {BASE_IMAGE} is missing (no registry to pull from)")
    yield client
    client.close()


@pytest.fixture(scope="module")
def host_network(engine) -> bool:
    """True when the engine has no bridge network: build and run with host networking."""
    return not engine.networks.list(names=["bridge"])


def build(engine, host_network: bool, version: str):
    image, _ = engine.images.build(
        path=str(MODEL_DIR),
        tag=f"{TEST_REPO}:{version}",
        buildargs={"BASE_IMAGE": BASE_IMAGE, "MODEL_VERSION": version},
        network_mode="host" if host_network else None,
        rm=True,
        forcerm=True,
    )
    return image


@pytest.fixture(scope="module")
def image_v2(engine, host_network):
    return build(engine, host_network, "v2")


@pytest.fixture
def run(engine, host_network):
    """Start containers locked down like the Deployment; force-remove them afterwards."""
    started = []

    def start(image, **env: str):
        port = free_port()
        kwargs = {
            "detach": True,
            "read_only": True,
            "tmpfs": {"/tmp": "rw,size=16m"},  # the emptyDir of the manifest
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "environment": {"POD_NAME": "model-test", **env},
        }
        if host_network:
            kwargs["network_mode"] = "host"
            kwargs["environment"].update(HOST="127.0.0.1", PORT=str(port))
        else:
            kwargs["ports"] = {"8080/tcp": ("127.0.0.1", port)}
        container = engine.containers.run(image.id, **kwargs)
        started.append(container)
        return container, f"http://127.0.0.1:{port}"

    yield start
    for container in started:
        container.remove(force=True)


def status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return None


def wait_ready(container, base: str, timeout: float = 60) -> None:
    def ready() -> bool:
        container.reload()
        assert container.status != "exited", container.logs().decode()
        return status(f"{base}/readyz") == 200

    wait_until(ready, timeout, "the container to become ready")


def test_image_is_small(image_v2):
    size = image_v2.attrs["Size"]
    print(f"\nimage {TEST_REPO}:v2 on {BASE_IMAGE}: {size / 1e6:.0f} MB")
    assert size <= SIZE_GOAL, f"{size / 1e6:.0f} MB > {SIZE_GOAL / 1e6:.0f} MB"


def test_serves_as_non_root_on_a_read_only_root(image_v2, run):
    container, base = run(image_v2)
    wait_ready(container, base)
    code, out = container.exec_run(["python", "-c", "import os; print(os.getuid())"])
    assert (code, out.decode().strip()) == (0, str(UID))
    code, _ = container.exec_run(["python", "-c", "open('/opt/x', 'w')"])
    assert code != 0, "the root filesystem should be read-only"
    assert status(f"{base}/healthz") == 200
    rows = data.sample_rows(4, seed=5)
    response = httpx.post(f"{base}/predict", json={"rows": rows}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == "v2"
    assert len(response.json()["predictions"]) == 4
    assert response.headers["X-Pod"] == "model-test"
    assert httpx.get(f"{base}/version", timeout=5).json()["sha256"]


def test_sigterm_drains_without_failing_a_request(image_v2, run):
    # 150 ms per request keeps several requests in flight when the signal lands.
    container, base = run(image_v2, **{faults.LATENCY_MS: "150"})
    wait_ready(container, base)
    row = data.sample_rows(1)
    results: list[tuple[float, float, int | str]] = []  # (sent, answered, status or error)
    unready_at: list[float] = []
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                outcome = httpx.post(f"{base}/predict", json={"rows": row}, timeout=10).status_code
            except httpx.TransportError as exc:
                outcome = type(exc).__name__
            results.append((sent, time.monotonic(), outcome))

    def watch_readiness() -> None:
        while not stop.is_set() and not unready_at:
            asked = time.monotonic()  # when the probe went out, not when it came back
            if status(f"{base}/readyz") != 200:
                unready_at.append(asked)

    with ThreadPoolExecutor(9) as pool:
        for _ in range(8):
            pool.submit(send)
        pool.submit(watch_readiness)
        wait_until(lambda: len(results) >= 40, 30, "40 answered requests before the signal")
        killed_at = time.monotonic()
        container.kill(signal="SIGTERM")
        exit_code = container.wait(timeout=30)["StatusCode"]
        exited_after = time.monotonic() - killed_at
        stop.set()
    logs = container.logs().decode()
    assert exit_code == 0, logs
    assert exited_after < 10, f"took {exited_after:.1f} s (docker stop's grace is 10 s)"
    assert unready_at, "readiness never turned false"
    # The server flips readiness in its signal handler; 1.5 s leaves room for a busy
    # client machine to notice, still inside the server's 2 s lame-duck drain.
    assert unready_at[0] - killed_at < 1.5, "readiness should drop at once"
    before = [outcome for sent, _, outcome in results if sent < unready_at[0]]
    assert before and all(outcome == 200 for outcome in before), before
    in_flight = [o for sent, done, o in results if sent < killed_at < done]
    assert in_flight, "no request was in flight when the signal landed"
    assert all(outcome == 200 for outcome in in_flight), in_flight


def test_crash_fault_exits_1(image_v2, run):
    container, _ = run(image_v2, **{faults.CRASH_AT_START: "1"})
    assert container.wait(timeout=60)["StatusCode"] == 1


def test_v3_image_is_alive_but_never_ready(engine, host_network, run):
    container, base = run(build(engine, host_network, "v3"))

    def load_attempt_over() -> bool:
        container.reload()
        assert container.status != "exited", container.logs().decode()
        try:
            reason = httpx.get(f"{base}/readyz", timeout=2).json()["reason"]
        except httpx.TransportError:
            return False
        return "integrity check" in reason

    wait_until(load_attempt_over, 60, "v3 to report its failed integrity check")
    assert status(f"{base}/readyz") == 503
    assert status(f"{base}/healthz") == 200
