"""The doctor's individual checks: each looks at one thing and never raises.

Every check returns a ``Check`` with a status and, when something is wrong, the fix to type.
Their inputs (the Docker client, tool lookup, /proc, the disk) are parameters, so tests can
give them a fake Docker API server, fake tools on PATH or a fake /proc.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The same limits `make cluster` enforces before creating anything (one source of truth):
# inotify limits from kind's Known Issues page, and Docker memory for three kind nodes.
from helpers.core.paths import REPO
from helpers.kind.preflight import INOTIFY_MIN
from helpers.kind.preflight import MIN_DOCKER_MEMORY as DOCKER_MIN_MEMORY

GIB = 1024**3

# The node image (~1 GB unpacked per node is shared), the model images and the venv.
DISK_MIN_FREE = 10 * GIB
# kubectl is supported within one minor version of the API server (version skew policy).
MAX_KUBECTL_SKEW = 1


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table."""

    name: str
    status: str  # "ok", "warn", "fail" or "info"
    detail: str
    fix: str = ""
    kind_path: bool = False  # needed for the real (kind) cluster


def check_python(version_info=sys.version_info) -> Check:
    """Python 3.11 or newer runs the helpers."""
    found = f"{version_info[0]}.{version_info[1]}.{version_info[2]}"
    if tuple(version_info[:2]) >= (3, 11):
        return Check("python", "ok", f"Python {found}")
    return Check(
        "python",
        "fail",
        f"Python {found} is too old",
        "Install Python 3.11 or newer, then `make lab`.",
    )


def check_docker(client_factory=None) -> tuple[Check, dict]:
    """The Docker daemon answers; returns the check and the daemon's info (or {})."""
    try:
        import docker

        client = (client_factory or (lambda: docker.from_env(timeout=3)))()
        client.ping()
        info = client.info()
    except Exception as err:  # any failure means the same to a student: no daemon
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        return (
            Check(
                "docker daemon",
                "fail",
                f"not reachable ({reason})",
                "Start Docker Desktop (or `sudo systemctl start docker`); the labs still run "
                "on the simulator without it.",
                kind_path=True,
            ),
            {},
        )
    version = info.get("ServerVersion", "?")
    return Check("docker daemon", "ok", f"Docker {version} answers", kind_path=True), info


def check_docker_resources(info: dict) -> Check:
    """Enough CPU and memory given to Docker for three kind nodes."""
    if not info:
        return Check("docker resources", "info", "unknown (no Docker daemon)", kind_path=True)
    cpus, memory = int(info.get("NCPU", 0)), int(info.get("MemTotal", 0))
    detail = f"{cpus} CPUs, {memory / GIB:.1f} GiB for containers"
    if memory < DOCKER_MIN_MEMORY:
        return Check(
            "docker resources",
            "warn",
            detail + " (kind needs about 4 GB for three nodes)",
            "Give Docker more memory: Docker Desktop > Settings > Resources > Memory >= 4 GB.",
            kind_path=True,
        )
    return Check("docker resources", "ok", detail, kind_path=True)


def check_cgroup(info: dict) -> Check:
    """The Docker host's cgroup version: v1 works, with a kubelet setting make cluster adds.

    Kubernetes 1.35+ kubelets refuse cgroup v1 unless ``failCgroupV1: false``
    (kubernetes.io/docs/concepts/architecture/cgroups/); older Linux hosts and some WSL2
    kernels still run it.
    """
    version = str(info.get("CgroupVersion") or "")
    if version not in ("1", "2"):
        return Check("cgroup", "info", "unknown (no Docker daemon)", kind_path=True)
    if version == "2":
        return Check("cgroup", "ok", "cgroup v2", kind_path=True)
    return Check(
        "cgroup",
        "info",
        "cgroup v1: Kubernetes 1.35+ kubelets refuse it by default",
        "Nothing to do: `make cluster` adds `failCgroupV1: false` for this host and says so. "
        "A newer kernel (or WSL2 with cgroup v2) avoids the setting.",
        kind_path=True,
    )


def find_tool(name: str, which=shutil.which) -> str | None:
    """A tool on PATH, or in the repo's ./bin where `make cluster` puts pinned copies."""
    local = REPO / "bin" / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return which(name)


def _run(args: list[str], timeout: float = 10.0) -> str | None:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def check_kind(which=shutil.which) -> Check:
    """kind is installed (or will be fetched by `make cluster`)."""
    path = find_tool("kind", which)
    if not path:
        return Check(
            "kind",
            "fail",
            "not installed",
            "`make cluster` downloads the pinned kind into ./bin (needs internet), or install it: "
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
            kind_path=True,
        )
    out = _run([path, "version"]) or ""
    match = re.search(r"v\d+\.\d+\.\d+", out)
    return Check(
        "kind", "ok", match.group(0) if match else "installed (version unknown)", kind_path=True
    )


def kubectl_versions(path: str, context: str | None) -> tuple[str | None, str | None]:
    """(client, server) gitVersions from `kubectl version -o json`; server None if unreachable."""
    client = _run([path, "version", "--client", "-o", "json"])
    server = None
    if context:
        both = _run([path, "version", "-o", "json", "--context", context, "--request-timeout=3s"])
        if both:
            server = json.loads(both).get("serverVersion", {}).get("gitVersion")
    client_version = (
        json.loads(client).get("clientVersion", {}).get("gitVersion") if client else None
    )
    return client_version, server


def _minor(version: str) -> int:
    return int(re.match(r"v?\d+\.(\d+)", version).group(1))


def check_kubectl(context: str | None, cluster_reachable: bool, which=shutil.which) -> Check:
    """kubectl is installed, and within one minor version of the server when one answers."""
    path = find_tool("kubectl", which)
    if not path:
        return Check(
            "kubectl",
            "fail",
            "not installed",
            "`make cluster` downloads the pinned kubectl into ./bin, or install it: "
            "https://kubernetes.io/docs/tasks/tools/",
            kind_path=True,
        )
    client, server = kubectl_versions(path, context if cluster_reachable else None)
    if not client:
        return Check("kubectl", "warn", f"{path} does not answer `kubectl version`", kind_path=True)
    if not server:
        return Check("kubectl", "ok", f"client {client}", kind_path=True)
    skew = abs(_minor(client) - _minor(server))
    detail = f"client {client}, server {server}"
    if skew > MAX_KUBECTL_SKEW:
        return Check(
            "kubectl",
            "warn",
            detail + f" ({skew} minor versions apart)",
            "kubectl is supported within one minor version of the server: install the "
            "matching kubectl, or run `make cluster`, which uses the pinned one in ./bin.",
            kind_path=True,
        )
    return Check("kubectl", "ok", detail, kind_path=True)


def check_cluster(probe, context: str) -> tuple[Check, bool]:
    """The course cluster's API server answers (probe: helpers.kube.config.probe)."""
    try:
        ok, why = probe(context, timeout=2.0)
    except Exception as err:  # a probe must not take the doctor down
        ok, why = False, type(err).__name__
    if ok:
        return Check("cluster", "ok", f"{context} answers", kind_path=True), True
    return (
        Check(
            "cluster", "warn", f"{context} is not reachable ({why})", "Create it: `make cluster`"
        ),
        False,
    )


def check_inotify(proc=Path("/proc"), system: str | None = None) -> Check:
    """Linux inotify limits high enough for a multi-node kind cluster."""
    if (system or platform.system()) != "Linux":
        return Check("inotify limits", "info", "not Linux: Docker Desktop's VM sets its own")
    low, seen = [], []
    for key, minimum in INOTIFY_MIN.items():
        try:
            value = int((proc / "sys/fs/inotify" / key).read_text().strip())
        except (OSError, ValueError):
            return Check("inotify limits", "info", f"cannot read fs.inotify.{key}")
        seen.append(f"{key}={value}")
        if value < minimum:
            low.append(f"fs.inotify.{key}={minimum}")
    if low:
        return Check(
            "inotify limits",
            "warn",
            ", ".join(seen) + " (kind nodes fail with 'too many open files')",
            "sudo sysctl " + " ".join(low),
            kind_path=True,
        )
    return Check("inotify limits", "ok", ", ".join(seen), kind_path=True)


def check_port(port: int, purpose: str, host: str = "127.0.0.1") -> Check:
    """A port the kit needs on 127.0.0.1 is free (or already ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return Check(
                f"port {port}",
                "warn",
                f"in use ({purpose})",
                f"Free it: `lsof -i :{port}` shows who holds it (fine if it is the course "
                "cluster or your JupyterLab).",
            )
    return Check(f"port {port}", "ok", f"free for {purpose}")


def check_disk(path: Path = REPO, usage=shutil.disk_usage) -> Check:
    """Free disk for the node image, the model images and the venv."""
    free = usage(path).free
    detail = f"{free / GIB:.1f} GiB free"
    if free < DISK_MIN_FREE:
        return Check(
            "disk",
            "warn",
            detail + " (the cluster and images need about 10 GiB)",
            "Free space: `docker system prune` removes unused images.",
            kind_path=True,
        )
    return Check("disk", "ok", detail)
