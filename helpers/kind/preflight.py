"""Checks before `make cluster` creates anything: kind's known failures, caught early.

Each check raises the kit's error with the fix to type, so a student sees "raise the inotify
limits: sudo sysctl ..." instead of a node that never becomes Ready ten minutes later.
`make doctor` reports the same things without raising; these are the blocking versions.

Example:
    >>> from helpers.kind.preflight import docker_info, check_memory
    >>> check_memory(docker_info("docker"))
"""

from __future__ import annotations

import json
import platform
import socket
import subprocess
from pathlib import Path

from helpers.errors import DockerUnavailable, LabError

GIB = 1024**3
# kind's docs ask for at least 4 GB for Docker when running several nodes: below it the
# three nodes plus the model pods get OOM-killed or stay NotReady. 3.5 GiB leaves room for
# Docker Desktop reporting "4 GB" as a little less.
MIN_DOCKER_MEMORY = int(3.5 * GIB)
# kind's Known Issues ("Pod errors due to too many open files"): multi-node clusters exhaust
# the default inotify limits; these are the values that page recommends.
INOTIFY_MIN = {"max_user_watches": 524288, "max_user_instances": 512}
NODE_PORT = 30080


def docker_info(docker: str, timeout: float = 15.0) -> dict:
    """`docker info` as a dict; DockerUnavailable when the daemon does not answer.

    The CLI (not the SDK) is asked on purpose: kind drives Docker through the same CLI, so
    the same context, socket and permissions are checked.
    """
    try:
        done = subprocess.run(
            [docker, "info", "--format", "{{json .}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as err:
        raise DockerUnavailable("The docker command is not installed.") from err
    except subprocess.TimeoutExpired as err:
        raise DockerUnavailable(
            f"The Docker daemon did not answer within {timeout:.0f} s."
        ) from err
    try:
        info = json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        info = None
    if done.returncode != 0 or not isinstance(info, dict) or info.get("ServerErrors"):
        reason = (done.stderr or "").strip().splitlines()[-1:] or ["no answer"]
        raise DockerUnavailable(f"The Docker daemon is not reachable ({reason[0][:160]}).")
    return info


def check_memory(info: dict, minimum: int = MIN_DOCKER_MEMORY) -> None:
    """Docker has enough memory for three kind nodes (LabError otherwise)."""
    memory = int(info.get("MemTotal") or 0)
    if memory and memory < minimum:
        raise LabError(
            f"Docker has {memory / GIB:.1f} GiB of memory; kind needs about 4 GB for the "
            "three nodes of this course.",
            "Give Docker more memory (Docker Desktop > Settings > Resources > Memory: 4 GB or "
            'more), then run `make cluster` again; or use the simulator: helpers.connect("sim").',
        )


def check_inotify(proc: Path = Path("/proc"), system: str | None = None) -> None:
    """On Linux, inotify limits high enough for a multi-node cluster (LabError otherwise)."""
    if (system or platform.system()) != "Linux":
        return  # Docker Desktop's VM sets its own limits
    low = []
    for key, minimum in INOTIFY_MIN.items():
        try:
            value = int((proc / "sys/fs/inotify" / key).read_text().strip())
        except (OSError, ValueError):
            continue  # unreadable: do not block on what cannot be checked
        if value < minimum:
            low.append(f"fs.inotify.{key}={minimum}")
    if low:
        raise LabError(
            "The inotify limits are too low for a three-node kind cluster (its nodes fail "
            "with 'too many open files').",
            f"Raise them: `sudo sysctl {' '.join(low)}` (add the same lines to "
            "/etc/sysctl.d/99-kind.conf to keep them), then run `make cluster` again.",
        )


def check_port_free(port: int = NODE_PORT, host: str = "127.0.0.1") -> None:
    """The host port the cluster maps is free (LabError naming the port otherwise)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            raise LabError(
                f"Port {host}:{port} is already in use; the cluster maps the model Service's "
                "NodePort there.",
                f"Find who holds it with `lsof -i :{port}` (or `ss -ltnp`) and stop it, then "
                "run `make cluster` again.",
            ) from err
