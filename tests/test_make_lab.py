"""`make lab` serves JupyterLab on 127.0.0.1 only, with its token on."""

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_make_lab_listens_on_loopback_with_a_token(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    args = f"--no-browser --ServerApp.port={port} --ServerApp.port_retries=0"
    # As root (CI) make lab itself adds --allow-root, which JupyterLab needs there.
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 120
        log = []
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
            log.append(line)
            match = re.search(r"(http://\S+:\d+/lab\S*\?token=\w+)", line)
            url = match.group(1) if match else None
        assert url, "JupyterLab did not print its URL:\n" + "".join(log[-20:])
        assert url.startswith(f"http://127.0.0.1:{port}/"), url
        token = url.split("token=")[1]
        assert len(token) >= 32
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/contents", timeout=10).status_code == 403
        ok = httpx.get(f"{base}/api/contents", params={"token": token}, timeout=10)
        assert ok.status_code == 200
        address = other_address()
        if address:
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(2)
                s.connect((address, port))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
