"""What is inside the model image (cluster/model/Dockerfile) and a container's files over time.

The image is python:3.12-slim-bookworm: Debian's coreutils and dash (/bin/sh) on a merged
/usr, Python in /usr/local/bin, the server's venv first on PATH, the code in /app and the
artifacts in /opt/orchestra. It runs as uid 10001, so only /tmp (world-writable, and the
emptyDir the careful manifest mounts there) takes writes. slim images carry no curl, wget,
ps or nc: an exec probe calling them meets "executable file not found in $PATH".
"""

from __future__ import annotations

import bisect
import itertools
import math
import posixpath

# ENV PATH in cluster/model/Dockerfile.
PATH = ("/opt/venv/bin", "/usr/local/bin", "/usr/bin", "/bin")
# The simulator runs these (commands.py); each exists in the image under /usr/bin and /bin.
COREUTILS = ("cat", "echo", "false", "ls", "mkdir", "rm", "sleep", "test", "[", "touch", "true")
SHELLS = ("sh", "bash", "dash")
PYTHONS = {
    "/opt/venv/bin/python": "venv",
    "/opt/venv/bin/python3": "venv",
    "/usr/local/bin/python": "base",  # the base image's Python: no numpy, no server deps
    "/usr/local/bin/python3": "base",
}
# Commands people reach for in probes that a slim image does not have.
ABSENT = ("curl", "wget", "nc", "ps", "pgrep", "netstat", "ss", "grpc_health_probe", "kubectl")

_DIRS = (
    "/", "/app", "/app/orchestra_model", "/bin", "/dev", "/etc", "/home", "/opt",
    "/opt/orchestra", "/opt/orchestra/artifacts", "/opt/venv", "/opt/venv/bin", "/proc",
    "/root", "/run", "/tmp", "/usr", "/usr/bin", "/usr/local", "/usr/local/bin", "/var",
    "/var/run", "/var/run/secrets", "/var/run/secrets/kubernetes.io",
    "/var/run/secrets/kubernetes.io/serviceaccount",
)  # fmt: skip
_FILES = (
    "/app/orchestra_model/__init__.py", "/app/orchestra_model/server.py", "/dev/null",
    "/etc/hostname", "/etc/hosts", "/etc/os-release", "/etc/passwd", "/etc/resolv.conf",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
)  # fmt: skip
IMAGE_PATHS: dict[str, str] = {
    **dict.fromkeys(_DIRS, "dir"),
    **dict.fromkeys(_FILES, "file"),
    **{f"{d}/{name}": "file" for d in ("/bin", "/usr/bin") for name in (*COREUTILS, *SHELLS)},
    **dict.fromkeys(PYTHONS, "file"),
}
WRITABLE = "/tmp"


def normal(path: str) -> str:
    """``path`` made absolute (the image has no WORKDIR: "/") and normalised."""
    return posixpath.normpath(posixpath.join("/", path))


def binary(name: str) -> str | None:
    """The command ``name`` resolves to ("cat", "sh", "python") or None if it is not there."""
    if "/" in name:
        path = normal(name)
        if path in PYTHONS:
            return "python"
        base = posixpath.basename(path)
        return (
            base
            if IMAGE_PATHS.get(path) == "file" and path.startswith(("/bin/", "/usr/"))
            else None
        )
    if name in ("python", "python3"):
        return "python"
    return name if name in COREUTILS or name in SHELLS else None


class Files:
    """One container run's filesystem: the image's paths plus timed changes.

    Changes are known ahead (the container's own script) or happen now (an exec probe's
    touch); ``kind(path, t)`` replays those at or before ``t``.
    """

    __slots__ = ("_changes", "_seq")

    def __init__(self):
        self._changes: list[tuple[float, int, str, str | None]] = []
        self._seq = itertools.count()

    def write(self, t: float, path: str, kind: str | None) -> None:
        """At ``t``, ``path`` becomes a "file", a "dir", or is removed (None, with its tree)."""
        bisect.insort(self._changes, (t, next(self._seq), normal(path), kind))

    def kind(self, path: str, t: float) -> str | None:
        """ "file", "dir" or None (absent) at time ``t``."""
        path = normal(path)
        state = IMAGE_PATHS.get(path)
        for when, _, changed, kind in self._changes:
            if when > t:
                break
            if changed == path:
                state = kind
            elif kind is None and path.startswith(changed.rstrip("/") + "/"):
                state = None
        return state

    def next_change(self, t: float) -> float:
        """The first change after ``t`` (math.inf if none)."""
        i = bisect.bisect_right(self._changes, (t, math.inf))
        return self._changes[i][0] if i < len(self._changes) else math.inf
