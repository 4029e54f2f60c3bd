"""Fetching pinned kind/kubectl: installed only when the SHA-256 matches the lock.

A real HTTP server on 127.0.0.1 serves a fake binary; the code downloads it with urllib as
it would from GitHub or dl.k8s.io.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading

import pytest

from helpers.errors import ToolMissing
from helpers.kind.tools import (
    ChecksumMismatch,
    ensure_tool,
    fetch_tool,
    host_platform,
    install_pinned,
)

BINARY = b"#!/bin/sh\necho kind v0.32.0 go1.26.3 linux/amd64\n"


@pytest.fixture
def server():
    """Serves BINARY at /<version>/<name>-<os>-<arch>; records the paths asked for."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(BINARY)))
            self.end_headers()
            self.wfile.write(BINARY)

        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def _lock(base: str, sha: str) -> dict:
    return {
        "kind": {
            "version": "v0.32.0",
            "url": base + "/{version}/kind-{os}-{arch}",
            "sha256": {"linux-amd64": sha},
        }
    }


def test_right_checksum_installs_an_executable(server, tmp_path):
    base, requests = server
    lock = _lock(base, hashlib.sha256(BINARY).hexdigest())
    path = fetch_tool("kind", tmp_path, lock, plat="linux-amd64")
    assert path == str(tmp_path / "kind")
    assert (tmp_path / "kind").read_bytes() == BINARY
    assert os.access(path, os.X_OK)
    assert requests == ["/v0.32.0/kind-linux-amd64"]
    assert [p.name for p in tmp_path.iterdir()] == ["kind"]  # no partial file left


def test_wrong_checksum_refuses_and_deletes_the_download(server, tmp_path):
    base, requests = server
    lock = _lock(base, "0" * 64)
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_tool("kind", tmp_path, lock, plat="linux-amd64")
    assert hashlib.sha256(BINARY).hexdigest() in caught.value.what
    assert requests  # it did download ...
    assert list(tmp_path.iterdir()) == []  # ... and deleted it
    assert caught.value.hint  # says what to do next


def test_platform_without_a_checksum_is_refused_before_any_download(server, tmp_path):
    base, requests = server
    lock = _lock(base, hashlib.sha256(BINARY).hexdigest())
    with pytest.raises(ToolMissing) as caught:
        fetch_tool("kind", tmp_path, lock, plat="darwin-arm64")
    assert "unverifiable" in caught.value.what
    assert "kind.sigs.k8s.io" in caught.value.hint
    assert requests == []
    assert list(tmp_path.iterdir()) == []


def test_offline_raises_tool_missing_saying_what_to_install(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    lock = _lock(dead, "0" * 64)
    with pytest.raises(ToolMissing) as caught:
        fetch_tool("kind", tmp_path, lock, plat="linux-amd64", timeout=5)
    assert "downloading v0.32.0" in caught.value.what
    assert "Install kind yourself" in caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_a_tool_already_in_bin_is_used_without_downloading(tmp_path):
    local = tmp_path / "kind"
    local.write_bytes(BINARY)
    local.chmod(0o755)
    assert ensure_tool("kind", tmp_path, lock={"kind": {}}) == str(local)


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "linux-amd64"),
        ("Linux", "aarch64", "linux-arm64"),
        ("Darwin", "arm64", "darwin-arm64"),
        ("Darwin", "x86_64", "darwin-amd64"),
    ],
)
def test_host_platform_uses_the_release_asset_names(system, machine, expected):
    assert host_platform(system, machine) == expected


def _both(base: str, sha: str) -> dict:
    lock = _lock(base, sha)
    lock["kubectl"] = {
        "version": "v1.36.1",
        "url": base + "/{version}/kubectl-{os}-{arch}",
        "sha256": {"linux-amd64": sha},
    }
    return lock


def test_install_pinned_keeps_a_verified_copy_and_replaces_anything_else(server, tmp_path):
    base, requests = server
    lock = _both(base, hashlib.sha256(BINARY).hexdigest())
    (tmp_path / "kind").write_bytes(BINARY)  # already the pinned bytes: kept
    (tmp_path / "kubectl").write_bytes(b"some other kubectl")  # not pinned: replaced
    installed = install_pinned(tmp_path, lock, plat="linux-amd64")
    assert installed == {"kind": str(tmp_path / "kind"), "kubectl": str(tmp_path / "kubectl")}
    assert requests == ["/v1.36.1/kubectl-linux-amd64"]
    assert (tmp_path / "kubectl").read_bytes() == BINARY
