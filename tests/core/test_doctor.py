"""The doctor: every check, present and missing, and the exit codes of `make doctor`."""

import importlib
import json
import socket
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import docker
import pytest

from helpers.diagnosis import checks

GIB = 1024**3
doctor_mod = importlib.import_module("helpers.diagnosis.report")


class FakeDocker(BaseHTTPRequestHandler):
    """Answers the Docker Engine API calls the doctor makes (/_ping, /info)."""

    info: ClassVar[dict] = {"ServerVersion": "27.3.1", "NCPU": 4, "MemTotal": 8 * GIB}

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body, ctype = b"OK", "text/plain"
        elif path.endswith("/info"):
            body, ctype = json.dumps(self.info).encode(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def docker_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDocker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"tcp://127.0.0.1:{server.server_address[1]}"
    yield lambda: docker.DockerClient(base_url=url, version="1.41", timeout=3)
    server.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_tool(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def no_local_bin(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "REPO", tmp_path / "repo")
    return tmp_path


def test_python_version():
    assert checks.check_python().status == "ok"
    old = checks.check_python((3, 10, 4))
    assert old.status == "fail" and "3.11" in old.fix


def test_docker_present_reports_version_and_resources(docker_api):
    check, info = checks.check_docker(docker_api)
    assert check.status == "ok" and "27.3.1" in check.detail
    res = checks.check_docker_resources(info)
    assert res.status == "ok" and "4 CPUs" in res.detail and "8.0 GiB" in res.detail


def test_docker_missing_says_start_docker_or_use_the_simulator():
    url = f"tcp://127.0.0.1:{free_port()}"
    check, info = checks.check_docker(
        lambda: docker.DockerClient(base_url=url, version="1.41", timeout=1)
    )
    assert check.status == "fail" and info == {}
    assert "Start Docker" in check.fix and "simulator" in check.fix


def test_docker_with_too_little_memory_warns():
    res = checks.check_docker_resources({"NCPU": 2, "MemTotal": 2 * GIB})
    assert res.status == "warn" and "Memory" in res.fix


def test_kind_present_and_missing(no_local_bin):
    fake_tool(no_local_bin, "kind", 'echo "kind v0.27.0 go1.23.6 linux/amd64"\n')
    found = checks.check_kind(which=lambda name: str(no_local_bin / name))
    assert found.status == "ok" and found.detail == "v0.27.0"
    missing = checks.check_kind(which=lambda name: None)
    assert missing.status == "fail" and "make cluster" in missing.fix


KUBECTL = """\
case "$*" in
  *--client*) echo '{"clientVersion": {"gitVersion": "v1.32.2"}}' ;;
  *--context*) echo '{"clientVersion": {"gitVersion": "v1.32.2"}, "serverVersion": {"gitVersion": "SERVER"}}' ;;
esac
"""


@pytest.mark.parametrize(("server", "status"), [("v1.31.4", "ok"), ("v1.29.1", "warn")])
def test_kubectl_skew_against_the_server(no_local_bin, server, status):
    fake_tool(no_local_bin, "kubectl", KUBECTL.replace("SERVER", server))
    which = lambda name: str(no_local_bin / name)  # noqa: E731
    check = checks.check_kubectl("kind-orchestra", True, which)
    assert check.status == status and server in check.detail
    if status == "warn":
        assert "3 minor versions apart" in check.detail and "one minor version" in check.fix


def test_kubectl_without_cluster_reports_the_client_only(no_local_bin):
    fake_tool(no_local_bin, "kubectl", KUBECTL)
    check = checks.check_kubectl("kind-orchestra", False, lambda name: str(no_local_bin / name))
    assert check.status == "ok" and check.detail == "client v1.32.2"
    assert checks.check_kubectl("kind-orchestra", False, lambda name: None).status == "fail"


def test_cluster_reachable_or_not():
    ok, reachable = checks.check_cluster(lambda ctx, timeout: (True, ""), "kind-orchestra")
    assert ok.status == "ok" and reachable
    down, reachable = checks.check_cluster(lambda ctx, timeout: (False, "connection refused"), "k")
    assert down.status == "warn" and not reachable and "make cluster" in down.fix
    boom, _ = checks.check_cluster(lambda ctx, timeout: 1 / 0, "k")
    assert boom.status == "warn" and "ZeroDivisionError" in boom.detail


def write_inotify(proc: Path, watches: int, instances: int) -> Path:
    folder = proc / "sys/fs/inotify"
    folder.mkdir(parents=True)
    (folder / "max_user_watches").write_text(f"{watches}\n")
    (folder / "max_user_instances").write_text(f"{instances}\n")
    return proc


def test_inotify_limits(tmp_path):
    """kind's known issue: https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files"""
    high = checks.check_inotify(write_inotify(tmp_path / "a", 524288, 512), "Linux")
    assert high.status == "ok"
    low = checks.check_inotify(write_inotify(tmp_path / "b", 8192, 128), "Linux")
    assert low.status == "warn"
    assert (
        low.fix
        == "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512"
    )
    assert checks.check_inotify(tmp_path / "none", "Linux").status == "info"
    assert checks.check_inotify(tmp_path, "Darwin").status == "info"


def test_port_free_and_taken():
    port = free_port()
    assert checks.check_port(port, "test").status == "ok"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        taken = checks.check_port(port, "test")
    assert taken.status == "warn" and f"lsof -i :{port}" in taken.fix


def test_disk_free_and_low():
    assert checks.check_disk(usage=lambda p: SimpleNamespace(free=50 * GIB)).status == "ok"
    low = checks.check_disk(usage=lambda p: SimpleNamespace(free=2 * GIB))
    assert low.status == "warn" and "prune" in low.fix


def test_report_without_docker_picks_the_simulator_and_says_why(monkeypatch, no_local_bin):
    monkeypatch.delenv("LAB_BACKEND", raising=False)
    url = f"tcp://127.0.0.1:{free_port()}"
    report = doctor_mod.run_checks(
        probe=lambda ctx, timeout: (False, "connection refused"),
        docker_factory=lambda: docker.DockerClient(base_url=url, version="1.41", timeout=1),
        which=lambda name: None,
    )
    assert report.backend == "sim" and not report.kind_ready
    text = str(report)
    assert "FAIL  docker daemon" in text and "fix: Start Docker" in text
    assert "simulated cluster" in text and "connection refused" in text
    assert list(report.table().columns) == ["check", "status", "detail", "fix"]
    assert "<table>" in report._repr_html_()


def test_report_with_a_cluster_picks_kube(monkeypatch, docker_api, no_local_bin):
    monkeypatch.delenv("LAB_BACKEND", raising=False)
    report = doctor_mod.run_checks(
        probe=lambda ctx, timeout: (True, ""), docker_factory=docker_api, which=lambda name: None
    )
    assert report.backend == "kube" and "kind-orchestra" in report.summary()


@pytest.mark.parametrize(
    ("kind_ready", "strict", "code"), [(False, False, 0), (False, True, 1), (True, True, 0)]
)
def test_exit_code_is_nonzero_only_when_strict_and_kind_is_unavailable(
    monkeypatch, capsys, kind_ready, strict, code
):
    status = "ok" if kind_ready else "fail"
    report = doctor_mod.Report(
        [checks.Check("docker daemon", status, "x", "fix it", kind_path=True)],
        doctor_mod.Choice("sim", None, "test"),
    )
    monkeypatch.setattr(doctor_mod, "run_checks", lambda: report)
    assert doctor_mod.main(["--strict"] if strict else []) == code
    assert "docker daemon" in capsys.readouterr().out


def test_helpers_doctor_stays_callable_after_its_module_is_imported():
    """helpers.doctor is the function, also after its module (helpers.diagnosis) and every
    other helpers module was imported: a second helpers.doctor() in a kernel still works."""
    code = (
        "import helpers, helpers.diagnosis, helpers.diagnosis.checks\n"
        "assert callable(helpers.doctor), helpers.doctor\n"
        "from helpers import doctor\n"
        "assert callable(doctor)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("info", "status"),
    [({"CgroupVersion": "2"}, "ok"), ({"CgroupVersion": "1"}, "info"), ({}, "info")],
)
def test_cgroup_v1_is_detected_and_the_fix_is_named(info, status):
    res = checks.check_cgroup(info)
    assert res.status == status
    if info.get("CgroupVersion") == "1":
        assert "failCgroupV1: false" in res.fix and "v1" in res.detail
