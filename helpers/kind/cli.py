"""kind and kubectl as subprocesses, with their failures mapped to the kit's errors.

Only the commands the kit needs; every call has a timeout, and output is returned or
streamed line by line, never printed here. The kubeconfig is never read or echoed: kind
merges it into the user's kubeconfig and kubectl is pointed at it with ``--context``.

Example:
    >>> cli = KindCli(kind="kind", kubectl="kubectl")
    >>> cli.clusters()
    ['orchestra']
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from helpers.errors import CommandFailed, DockerUnavailable, LabTimeout, ToolMissing

CLUSTER = "orchestra"
# kind and kubectl say this when the Docker daemon is down.
DOCKER_DOWN = ("Cannot connect to the Docker daemon", "failed to connect to the docker API")
# kind's multi-arch load failure (kubernetes-sigs/kind#3795): ctr cannot find the content
# of another platform's manifest that Docker's containerd image store left out.
MULTIARCH_FAILURE = ("content digest", "not found")


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(args: list[str], timeout: float, what: str) -> str:
    """Run a command; its stdout, or the kit's error saying what failed and what to do.

    Example:
        >>> run(["kind", "get", "clusters"], timeout=30, what="listing kind clusters")
        'orchestra\\n'
    """
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as err:
        raise ToolMissing(f"{args[0]} is not installed ({what}).") from err
    except subprocess.TimeoutExpired as err:
        raise LabTimeout(f"{what} did not finish within {timeout:.0f} s.") from err
    if done.returncode != 0:
        output = (done.stderr or "") + (done.stdout or "")
        if any(marker in output for marker in DOCKER_DOWN):
            raise DockerUnavailable(f"{what} failed: the Docker daemon is not reachable.")
        raise CommandFailed(f"{what} failed: {_tail(output) or f'exit {done.returncode}'}", output)
    return done.stdout


def stream(args: list[str], on_line: Callable[[str], None], what: str) -> None:
    """Run a long command, passing each output line to ``on_line`` as it comes."""
    try:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
    except FileNotFoundError as err:
        raise ToolMissing(f"{args[0]} is not installed ({what}).") from err
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            seen.append(line)
            on_line(line)
    if proc.wait() != 0:
        output = "\n".join(seen)
        if any(marker in output for marker in DOCKER_DOWN):
            raise DockerUnavailable(f"{what} failed: the Docker daemon is not reachable.")
        raise CommandFailed(f"{what} failed: {_tail(output) or f'exit {proc.returncode}'}", output)


@dataclass
class KindCli:
    """The kind cluster through the kind and kubectl binaries."""

    kind: str
    kubectl: str
    cluster: str = CLUSTER

    @property
    def context(self) -> str:
        """The kubeconfig context kind creates: ``kind-<cluster>``."""
        return f"kind-{self.cluster}"

    def clusters(self) -> list[str]:
        """Names of the kind clusters on this Docker."""
        out = run([self.kind, "get", "clusters"], 60, "listing kind clusters")
        return [line.strip() for line in out.splitlines() if line.strip()]

    def exists(self) -> bool:
        """Whether the cluster's node containers exist."""
        return self.cluster in self.clusters()

    def create(self, config: str, on_line: Callable[[str], None]) -> None:
        """`kind create cluster` with the kit's config; kind's progress lines go to ``on_line``."""
        args = [self.kind, "create", "cluster", "--name", self.cluster, "--config", config]
        stream(args, on_line, f"creating the kind cluster {self.cluster!r}")

    def delete(self) -> None:
        """`kind delete cluster` (kind removes the containers and the kubeconfig entry)."""
        run([self.kind, "delete", "cluster", "--name", self.cluster], 300, "deleting the cluster")

    def kubectl_run(self, args: list[str], timeout: float, what: str) -> str:
        """kubectl against this cluster's context."""
        return run([self.kubectl, "--context", self.context, *args], timeout, what)

    def nodes(self, timeout: float = 10.0) -> list[dict]:
        """Nodes as ``{"name", "role", "ready"}`` dicts (the API server must answer)."""
        out = self.kubectl_run(
            ["get", "nodes", "-o", "json", f"--request-timeout={timeout:.0f}s"],
            timeout + 5,
            "listing the cluster's nodes",
        )
        rows = []
        for item in json.loads(out).get("items", []):
            labels = item["metadata"].get("labels", {})
            conditions = item.get("status", {}).get("conditions", [])
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
            role = (
                "control-plane" if "node-role.kubernetes.io/control-plane" in labels else "worker"
            )
            rows.append({"name": item["metadata"]["name"], "role": role, "ready": ready})
        return rows

    def wait_nodes_ready(self, timeout: float) -> None:
        """Block on `kubectl wait --for=condition=Ready` for every node (a watch, not a poll)."""
        try:
            self.kubectl_run(
                ["wait", "--for=condition=Ready", "nodes", "--all", f"--timeout={timeout:.0f}s"],
                timeout + 30,
                "waiting for the nodes to be Ready",
            )
        except CommandFailed as err:
            if "timed out" not in err.output:
                raise
            raise LabTimeout(
                f"Not every node of {self.cluster!r} became Ready within {timeout:.0f} s "
                f"({_tail(err.output, 3)}).",
                "If a lab stopped that node, start it again (`docker start <node>`); otherwise "
                "Docker may be short of memory or the inotify limits too low: run `make doctor`, "
                "then `make cluster-delete` and `make cluster`.",
            ) from err

    def apply(self, path: str, timeout: float = 120.0) -> str:
        """`kubectl apply -f path` (idempotent)."""
        return self.kubectl_run(["apply", "-f", path], timeout, f"applying {path}")

    def wait_available(self, deployment: str, namespace: str, timeout: float) -> None:
        """Block until a Deployment's condition Available is True."""
        self.kubectl_run(
            [
                "wait",
                "--for=condition=Available",
                f"deployment/{deployment}",
                "-n",
                namespace,
                f"--timeout={timeout:.0f}s",
            ],
            timeout + 30,
            f"waiting for deployment/{deployment} in {namespace}",
        )

    def load_docker_image(self, images: Iterable[str]) -> None:
        """`kind load docker-image` into every node of the cluster."""
        args = [self.kind, "load", "docker-image", "--name", self.cluster, *images]
        run(args, 900, "loading images into the kind nodes")

    def load_image_archive(self, archive: str) -> None:
        """`kind load image-archive` (a `docker save` tar) into every node."""
        args = [self.kind, "load", "image-archive", "--name", self.cluster, archive]
        run(args, 900, "loading the image archive into the kind nodes")
