"""Fetching pinned kind/kubectl/helm: installed only when the SHA-256 matches the lock.

A real HTTP server on 127.0.0.1 serves a fake binary; the code downloads it with urllib as
it would from GitHub or dl.k8s.io.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import socket
import tarfile
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
HELM = b'#!/bin/sh\necho \'version.BuildInfo{Version:"v3.22.0", GoVersion:"go1.26.8"}\'\n'
# Bodies served at a path instead of BINARY (a test sets and clears them).
SERVED: dict[str, bytes] = {}


def helm_archive(member: str = "linux-amd64/helm") -> bytes:
    """A .tar.gz laid out as get.helm.sh's: <os>-<arch>/helm, LICENSE, README.md."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in ((member, HELM), ("linux-amd64/LICENSE", b"Apache-2.0\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def server():
    """Serves BINARY at /<version>/<name>-<os>-<arch>; records the paths asked for."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = SERVED.get(self.path, BINARY)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    SERVED.clear()
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
    lock["helm"] = _helm_lock(base, sha)
    return lock


def _helm_lock(base: str, sha: str) -> dict:
    return {
        "version": "v3.22.0",
        "url": base + "/helm-{version}-{os}-{arch}.tar.gz",
        "member": "{os}-{arch}/helm",
        "sha256": {"linux-amd64": sha},
    }


def test_an_archived_tool_is_verified_as_the_archive_then_only_its_binary_unpacked(
    server, tmp_path
):
    base, requests = server
    archive = helm_archive()
    SERVED["/helm-v3.22.0-linux-amd64.tar.gz"] = archive
    lock = {"helm": _helm_lock(base, hashlib.sha256(archive).hexdigest())}
    path = fetch_tool("helm", tmp_path, lock, plat="linux-amd64")
    assert requests == ["/helm-v3.22.0-linux-amd64.tar.gz"]
    assert path == str(tmp_path / "helm") and (tmp_path / "helm").read_bytes() == HELM
    assert os.access(path, os.X_OK)
    assert [p.name for p in tmp_path.iterdir()] == ["helm"]  # no archive, no LICENSE


def test_an_archive_with_a_wrong_checksum_is_refused_before_unpacking(server, tmp_path):
    base, _ = server
    SERVED["/helm-v3.22.0-linux-amd64.tar.gz"] = helm_archive()
    with pytest.raises(ChecksumMismatch):
        fetch_tool("helm", tmp_path, {"helm": _helm_lock(base, "0" * 64)}, plat="linux-amd64")
    assert list(tmp_path.iterdir()) == []


def test_an_archive_without_the_binary_is_refused_clearly(server, tmp_path):
    base, _ = server
    archive = helm_archive(member="elsewhere/helm")
    SERVED["/helm-v3.22.0-linux-amd64.tar.gz"] = archive
    lock = {"helm": _helm_lock(base, hashlib.sha256(archive).hexdigest())}
    with pytest.raises(ToolMissing, match="has no file linux-amd64/helm"):
        fetch_tool("helm", tmp_path, lock, plat="linux-amd64")
    assert list(tmp_path.iterdir()) == []


def test_install_pinned_keeps_a_verified_copy_and_replaces_anything_else(server, tmp_path):
    base, requests = server
    lock = _both(base, hashlib.sha256(BINARY).hexdigest())
    (tmp_path / "kind").write_bytes(BINARY)  # already the pinned bytes: kept
    (tmp_path / "kubectl").write_bytes(b"some other kubectl")  # not pinned: replaced
    helm = tmp_path / "helm"
    helm.write_bytes(HELM)  # reports the locked version: kept (its checksum is the archive's)
    helm.chmod(0o755)
    installed = install_pinned(tmp_path, lock, plat="linux-amd64")
    assert installed == {name: str(tmp_path / name) for name in ("kind", "kubectl", "helm")}
    assert requests == ["/v1.36.1/kubectl-linux-amd64"]
    assert (tmp_path / "kubectl").read_bytes() == BINARY
