"""A local registry beside the kind cluster, wired as kind's local-registry guide wires one.

The classroom path loads the images into the nodes (`kind load`); a cloud cluster pulls them
from a registry instead. This module gives kind the cloud path, so it can be practised (and
tested in CI) on a laptop: a registry container ``orchestra-registry`` on Docker's ``kind``
network, published on ``127.0.0.1:5001`` only, and every node's containerd told that
``localhost:5001`` means that container (a ``hosts.toml`` under ``/etc/containerd/certs.d``:
inside a node, ``localhost`` is the node itself). Then

    python -m helpers.kind registry start             # the registry, wired into the nodes
    LAB_REGISTRY=localhost:5001 make images           # build and push (no `kind load`)
    LAB_REGISTRY=localhost:5001 make lab              # the helpers apply localhost:5001/orchestra/...

and the nodes pull the course images as a cloud cluster's nodes would. Follows
https://kind.sigs.k8s.io/docs/user/local-registry/ and KEP-1755 (the ``local-registry-hosting``
ConfigMap in ``kube-public`` that tells tools where the registry is). Node images from kind
v0.27.0 on (and the kit's offline node image) read ``/etc/containerd/certs.d`` already.

The registry's image: ``LAB_LOCAL_REGISTRY_IMAGE`` (default ``registry:3``, the one kind's
guide runs, from Docker Hub); offline, ``make registry-image`` builds
``orchestra/registry:<version>`` from the distribution Go module (cluster/offline).

Example:
    >>> from helpers.kind import registry
    >>> registry.start()
    'localhost:5001'
    >>> registry.stop()
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

from helpers.errors import CommandFailed, LabError
from helpers.kind.cli import CLUSTER, KindCli

NAME = "orchestra-registry"
HOST_PORT = 5001  # kind's guide uses 5001: macOS's AirPlay receiver holds 5000
ADDRESS = f"localhost:{HOST_PORT}"  # what docker push and the manifests name
NETWORK = "kind"  # the Docker network kind puts every node on
DEFAULT_IMAGE = "registry:3"
CERTS_DIR = f"/etc/containerd/certs.d/{ADDRESS}"
HOSTS_TOML = f'# {NAME}: {ADDRESS} inside a node is the registry container, not the node.\n[host."http://{NAME}:5000"]\n'
HOSTING_CONFIGMAP = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "{ADDRESS}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
"""

Progress = Callable[[str, float], None]


def _quiet(step: str, fraction: float) -> None:
    pass


def _docker(client=None):
    from helpers.kind.images import _client

    return _client(client)


def image() -> str:
    """The registry's image: ``LAB_LOCAL_REGISTRY_IMAGE``, else kind's guide's ``registry:3``."""
    return os.environ.get("LAB_LOCAL_REGISTRY_IMAGE", "").strip() or DEFAULT_IMAGE


def _node_containers(docker_client, cluster: str) -> list:
    """The cluster's node containers (kind labels each with its cluster's name)."""
    return docker_client.containers.list(filters={"label": f"io.x-k8s.kind.cluster={cluster}"})


def start(
    cli: KindCli | None = None,
    progress: Progress | None = None,
    *,
    client=None,
) -> str:
    """Run the registry (or reuse a running one) and wire it into every node of the cluster.

    Idempotent: a second call changes nothing. The cluster must exist (its Docker network
    does not exist before it).

    Returns:
        The address to push to and to name in manifests: ``"localhost:5001"``.

    Raises:
        DockerUnavailable: no Docker engine answers.
        LabError: the kind cluster does not exist (create it first), or the registry's image is missing and cannot be pulled, or its port is taken.
    """
    report = progress or _quiet
    docker_client = _docker(client)
    cluster = cli.cluster if cli else CLUSTER
    nodes = _node_containers(docker_client, cluster)
    if not nodes:
        raise LabError(
            f"There is no kind cluster {cluster!r} to put a registry beside.",
            "Create it first (`make cluster`), then start the registry again.",
        )
    report(f"registry container {NAME}", 0.1)
    container = _running_registry(docker_client)
    for index, node in enumerate(nodes):
        report(
            f"telling {node.name}'s containerd where {ADDRESS} is", 0.3 + 0.5 * index / len(nodes)
        )
        _write_hosts_toml(node)
    if cli is not None:
        report("documenting the registry (ConfigMap kube-public/local-registry-hosting)", 0.9)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="registry-") as handle:
            handle.write(HOSTING_CONFIGMAP)
            handle.flush()
            cli.apply(handle.name)
    report(f"registry {container.name} serves {ADDRESS}", 1.0)
    return ADDRESS


def _running_registry(docker_client):
    import docker.errors

    try:
        container = docker_client.containers.get(NAME)
    except docker.errors.NotFound:
        container = None
    if container is not None:
        if container.status != "running":
            container.start()
        networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        if NETWORK not in networks:
            docker_client.networks.get(NETWORK).connect(container)
        return container
    wanted = image()
    try:
        docker_client.images.get(wanted)
    except docker.errors.ImageNotFound:
        try:
            docker_client.images.pull(wanted)
        except docker.errors.APIError as err:
            raise LabError(
                f"The registry image {wanted} is not here and cannot be pulled "
                f"({err.explanation or err}).",
                "Offline, build one from its Go module with `make registry-image` and set "
                "LAB_LOCAL_REGISTRY_IMAGE to the name it prints.",
            ) from err
    try:
        return docker_client.containers.run(
            wanted,
            name=NAME,
            detach=True,
            network=NETWORK,
            # 127.0.0.1 only: the registry accepts pushes without authentication.
            ports={"5000/tcp": ("127.0.0.1", HOST_PORT)},
            restart_policy={"Name": "always"},
        )
    except docker.errors.APIError as err:
        raise LabError(
            f"Starting the registry {NAME} failed: {err.explanation or err}",
            f"If port {HOST_PORT} is taken, stop what holds it (`docker ps`), or remove an old "
            f"registry with `python -m helpers.kind registry stop`, then start again.",
        ) from err


def _write_hosts_toml(node) -> None:
    script = f'mkdir -p "{CERTS_DIR}" && printf "%s" "$0" > "{CERTS_DIR}/hosts.toml"'
    result = node.exec_run(["sh", "-c", script, HOSTS_TOML])
    if result.exit_code != 0:
        raise CommandFailed(
            f"Writing {CERTS_DIR}/hosts.toml on {node.name} failed (exit {result.exit_code}).",
            result.output.decode(errors="replace"),
        )


def stop(*, client=None) -> bool:
    """Remove the registry container and the nodes' ``hosts.toml``; False if there was none."""
    import docker.errors

    docker_client = _docker(client)
    for node in _node_containers(docker_client, CLUSTER):
        node.exec_run(["rm", "-rf", CERTS_DIR])
    try:
        container = docker_client.containers.get(NAME)
    except docker.errors.NotFound:
        return False
    container.remove(force=True)
    return True


def main(argv: list[str]) -> int:
    """``python -m helpers.kind registry start|stop``; exit 1 with the next step on failure."""
    import argparse
    import sys

    from helpers.kind.cluster import BIN_DIR, _cli

    parser = argparse.ArgumentParser(prog="python -m helpers.kind registry", description=__doc__)
    parser.add_argument("command", choices=["start", "stop"])
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            address = start(
                _cli(BIN_DIR, fetch=False), lambda s, f: print(f"[registry {f:4.0%}] {s}")
            )
            print(f"registry ready: push with LAB_REGISTRY={address} make images")
        else:
            print("registry removed" if stop() else "no registry to remove")
    except LabError as err:
        print(f"error: {err.what}\nnext: {err.hint}", file=sys.stderr)
        return 1
    return 0
