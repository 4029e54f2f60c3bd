"""Switching a kind node off and on: kind nodes are Docker containers named like the node.

Stopping the container stops its kubelet, so the node stops reporting and the node
lifecycle controller marks it ``Ready=Unknown`` after its grace period, as when a real
machine loses power. (kind.sigs.k8s.io/docs/design/node-image/)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.errors import DockerUnavailable, LabError, NotFound, UnsupportedOnBackend

if TYPE_CHECKING:
    from helpers.core.api import Cluster

# Seconds Docker waits after SIGTERM before SIGKILL when stopping a node container.
STOP_GRACE_SECONDS = 10


def kind_cluster_name(context: str) -> str | None:
    """The kind cluster behind a context ("kind-orchestra" -> "orchestra"), else None.

    Example:
        >>> kind_cluster_name("kind-orchestra")
        'orchestra'
    """
    return context[len("kind-") :] if context.startswith("kind-") else None


def node_container(node: str):
    """The Docker container of a kind node (the container is named after the node)."""
    try:
        import docker
        from docker.errors import DockerException
        from docker.errors import NotFound as DockerNotFound
    except ImportError as err:  # pragma: no cover - docker is pinned in requirements.txt
        raise DockerUnavailable("The docker Python package is not installed.") from err
    try:
        client = docker.from_env(timeout=30)
        return client.containers.get(node)
    except DockerNotFound:
        raise NotFound(
            f"No Docker container named {node!r}: it is not a node of a kind cluster here.",
            "List the nodes with cluster.nodes() and pick a worker.",
        ) from None
    except DockerException:
        raise DockerUnavailable("The Docker daemon is not reachable.") from None


def set_node_power(cluster: Cluster, node: str, on: bool) -> None:
    """Start (``on``) or stop a kind worker node's container.

    Raises:
        UnsupportedOnBackend: the context is not a kind cluster.
        LabError: the node is the control plane (stopping it stops the API server).
        DockerUnavailable: Docker cannot be reached.
    """
    verb = "start_node" if on else "stop_node"
    if kind_cluster_name(cluster.name) is None:
        raise UnsupportedOnBackend(
            f"{verb} needs a kind cluster: context {cluster.name!r} runs on machines this "
            "notebook cannot switch off.",
        )
    row = next((n for n in cluster.snapshot()["nodes"] if n["name"] == node), None)
    if row is not None and row["role"] == "control-plane":
        raise LabError(
            f"{node} is the control plane: stopping it stops the API server itself.",
            "Stop a worker instead (cluster.nodes() lists the roles).",
        )
    container = node_container(node)
    from docker.errors import DockerException

    try:
        if on:
            container.start()
        else:
            container.stop(timeout=STOP_GRACE_SECONDS)
    except DockerException:
        raise DockerUnavailable(f"Docker could not {'start' if on else 'stop'} {node}.") from None
