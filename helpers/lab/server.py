"""Run the real model server as a local process on 127.0.0.1 (lab 01 without Docker).

The same ``python -m orchestra_model.server`` the image runs, with the same environment
variables, so a student calls the real /predict, /readyz and /version before any
container exists. It listens on 127.0.0.1 only and on a free port chosen by the OS.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import weakref
from pathlib import Path

import httpx

from helpers.errors import LabError, LabTimeout

# 60 s: interpreter start, imports and the model load take 2-5 s; a loaded CI machine
# may need ten times that.
READY_TIMEOUT_S = 60.0
# Servers this kernel started and has not stopped: helpers.lab.cleanup() stops them, so a
# lab's cleanup works even when the cell that kept the server in a variable never ran.
RUNNING: weakref.WeakSet = weakref.WeakSet()
# 0.1 s between /readyz polls: the server is local, a poll costs under a millisecond.
POLL_S = 0.1
# 10 s for SIGTERM: the server's lame-duck drain is 2 s plus in-flight requests.
STOP_TIMEOUT_S = 10.0


class LocalServer:
    """One model-server process on 127.0.0.1; stop() (or the with-block) ends it.

    Example:
        >>> with helpers.lab.local_server("v1") as server:
        ...     server.get("/version")["version"]
        'v1'
    """

    def __init__(self, version: str = "v1", **env: str):
        from orchestra_model import artifacts, local

        if version in ("v1", "v2", "v3"):
            artifacts.ensure(version)  # trains once, then reads the cached file
        self.version = version
        self.env = dict(env)  # what it was started with (the checks read the fault switches)
        self.port = local.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Closed by stop(); the file outlives this call because the child writes to it.
        self._log = tempfile.NamedTemporaryFile(prefix="model-server-", suffix=".log")  # noqa: SIM115
        self.process = local.spawn(version, self.port, stdout=self._log, **env)
        RUNNING.add(self)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> LocalServer:
        """Return once /readyz answers 200 (what a readinessProbe waits for)."""
        return self._wait_for("/readyz", "ready", timeout)

    def wait_live(self, timeout: float = READY_TIMEOUT_S) -> LocalServer:
        """Return once /healthz answers 200 (what a livenessProbe checks)."""
        return self._wait_for("/healthz", "live", timeout)

    def _wait_for(self, path: str, what: str, timeout: float) -> LocalServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabError(
                    f"The model server exited with code {self.process.returncode}.",
                    f"Its last log lines: {self.logs(5)}",
                )
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(POLL_S)
        raise LabTimeout(
            f"The local {self.version} server was not {what} after {timeout:g} s.",
            f"Its last log lines: {self.logs(5)}",
        )

    def wait_exit(self, timeout: float = READY_TIMEOUT_S) -> int:
        """Wait for the process to end by itself; returns its exit code."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise LabTimeout(f"The local {self.version} server is still running.") from None

    def get(self, path: str) -> dict:
        """GET a path; returns ``{"status", "body", "version", "pod"}`` (body: JSON or text)."""
        return _answer(httpx.get(self.url + path, timeout=5.0))

    def predict(self, rows: list[list[float]]) -> dict:
        """POST /predict with ``rows``; returns the JSON body (predictions, version, pod)."""
        response = httpx.post(self.url + "/predict", json={"rows": rows}, timeout=5.0)
        response.raise_for_status()
        return response.json()

    def logs(self, lines: int = 20) -> str:
        """The last ``lines`` lines the server printed."""
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int | None:
        """SIGTERM, as the kubelet sends; returns the exit code (None if already gone)."""
        RUNNING.discard(self)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else "stopped"
        return f"<LocalServer {self.version} on 127.0.0.1, {state}>"


def _answer(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {
        "status": response.status_code,
        "body": body,
        "version": response.headers.get("x-model-version"),
        "pod": response.headers.get("x-pod"),
    }


def local_server(version: str = "v1", wait: bool = True, **env: str) -> LocalServer:
    """Start the real model server locally; by default wait until it is Ready.

    Args:
        version: "v1", "v2" or "v3" (v3 never becomes ready: use wait=False).
        **env: fault switches, e.g. MODEL_FAULT_LATENCY_MS="50".

    Example:
        >>> server = helpers.lab.local_server("v1")
        >>> server.predict(rows)["version"]
        'v1'
    """
    server = LocalServer(version, **env)
    return server.wait_ready() if wait else server
