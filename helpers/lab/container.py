"""Lab 01's container steps on either backend: build the image, run one container.

On kind the image is really built with Docker and one container really runs, published on
127.0.0.1 only. On the simulator nothing is built (the simulator knows the three images
from the start) and the same server code runs as a local process instead; both say so.
"""

from __future__ import annotations

import contextlib

from orchestra_model.local import free_port

from helpers.lab.server import RUNNING, LocalServer

IMAGE = "orchestra/model"

SIMULATED_BUILD = (
    "Simulated cluster: no image was built. The simulator knows orchestra/model:v1, :v2 "
    "and :v3 from the start, as if `make images` had run. On kind this step runs "
    "`docker build -t orchestra/model:{version} --build-arg MODEL_VERSION={version} "
    "cluster/model` and `kind load docker-image orchestra/model:{version} --name orchestra`."
)


def build_image(cluster, version: str = "v1") -> str:
    """Build ``orchestra/model:<version>`` and load it into kind; on the simulator, explain.

    A cluster that pulls from a registry (``LAB_REGISTRY``: a cloud cluster, or kind with
    ``make registry``) gets the image pushed there instead of loaded.

    Example:
        >>> print(helpers.lab.build_image(cluster, "v1"))
    """
    if cluster.simulated:
        return SIMULATED_BUILD.format(version=version)
    from helpers.kind import images

    steps: list[str] = []
    tags = images.build([version], progress=lambda line, fraction: steps.append(line))
    registry = getattr(cluster, "registry", None)
    if registry:
        pushed = images.push(tags, registry=registry)
        return f"built {', '.join(tags)} in {len(steps)} log lines; pushed {', '.join(pushed)}"
    route = images.load_into_kind(tags)
    return f"built {', '.join(tags)} in {len(steps)} log lines; loaded into kind via {route}"


def _publishing_network(client) -> str | None:
    """The network to run on so a published port works: Docker's default bridge, else kind's.

    An engine started with ``--bridge=none`` (some CI hosts) has no default bridge, and a
    container there gets no network, so its published port never answers; kind's own
    network is a bridge on any engine that runs the course cluster.
    """
    names = {n.name for n in client.networks.list()}
    if "bridge" in names:
        return None  # Docker's default
    return "kind" if "kind" in names else None


class DockerServer(LocalServer):
    """One container of the model image, published on 127.0.0.1 (kind backend only)."""

    def __init__(self, version: str = "v1", **env: str):  # no super(): no local process
        import docker

        self.version = version
        self.env = dict(env)  # what it was started with (the checks read the fault switches)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        client = docker.from_env()
        self.container = client.containers.run(
            f"{IMAGE}:{version}",
            detach=True,
            remove=True,
            environment={"POD_NAME": f"container-{version}", **env},
            ports={"8080/tcp": ("127.0.0.1", self.port)},
            network=_publishing_network(client),
        )
        self.process = self  # wait_ready polls .poll() for an early exit
        RUNNING.add(self)

    def poll(self) -> int | None:
        """None while the container runs, else its exit code (LocalServer's protocol)."""
        with contextlib.suppress(Exception):  # gone already: treated as exited
            self.container.reload()
            if self.container.status in ("created", "running"):
                return None
        return 1

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def logs(self, lines: int = 20) -> str:
        """The container's last log lines (docker logs --tail)."""
        with contextlib.suppress(Exception):
            return self.container.logs(tail=lines).decode(errors="replace")
        return ""

    def stop(self) -> int | None:
        """docker stop: SIGTERM, then SIGKILL after 10 s."""
        RUNNING.discard(self)
        with contextlib.suppress(Exception):
            self.container.stop(timeout=10)
        return 0

    def __repr__(self) -> str:
        return f"<DockerServer {IMAGE}:{self.version} on 127.0.0.1>"


def run_container(cluster, version: str = "v1", **env: str) -> LocalServer:
    """Run one model server: a Docker container on kind, a local process on the simulator.

    Example:
        >>> server = helpers.lab.run_container(cluster, "v1")
        >>> server.get("/version")["body"]["version"]
        'v1'
    """
    server = LocalServer(version, **env) if cluster.simulated else DockerServer(version, **env)
    return server.wait_ready()


__all__ = ["DockerServer", "build_image", "run_container"]
