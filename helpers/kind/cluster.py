"""The course's kind cluster "orchestra": create it, check it, delete it.

`make cluster`, `make cluster-delete` and a notebook cell run the same functions. `create`
is idempotent: a healthy cluster is reused, a missing one is created from cluster/kind.yaml
(after the checks for kind's known failures), and the call returns only once every node is
Ready and metrics-server is installed. Progress goes to a ``progress(step, fraction)``
callback (a notebook can drive a bar with it); the command line prints it as lines.

Example:
    >>> from helpers.kind import cluster as kindcluster
    >>> kindcluster.create(progress=lambda step, fraction: print(f"{fraction:4.0%} {step}"))
    >>> kindcluster.status()["ready"]
    True
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from helpers.errors import ClusterUnavailable, DockerUnavailable, LabError
from helpers.kind import config as kind_config
from helpers.kind import preflight
from helpers.kind.cli import CLUSTER, KindCli
from helpers.kind.tools import (
    BIN_DIR,
    REPO,
    ensure_pinned_kind,
    ensure_tool,
    find_tool,
    install_pinned,
)

KIND_CONFIG = kind_config.KIND_CONFIG
METRICS_SERVER = REPO / "cluster" / "metrics-server.yaml"
EXPECTED_NODES = 3  # one control plane, two workers (cluster/kind.yaml)
# 300 s: a first start pulls nothing more (kind create already has the node image), but
# CNI and kube-proxy pods start on a busy laptop; 5 minutes is generous.
NODE_TIMEOUT = 300.0
# 180 s: metrics-server's image pull plus its 20 s initial readiness delay.
METRICS_TIMEOUT = 180.0

Progress = Callable[[str, float], None]


def print_progress(step: str, fraction: float) -> None:
    """The command line's progress: one line per step."""
    print(f"[cluster {fraction:4.0%}] {step}", flush=True)


def _cli(bin_dir: Path, fetch: bool, lock: dict | None = None, report=None) -> KindCli:
    if fetch:
        kind = ensure_pinned_kind(bin_dir, lock, report)
        kubectl = ensure_tool("kubectl", bin_dir, lock)
    else:
        kind, kubectl = find_tool("kind", bin_dir), find_tool("kubectl", bin_dir)
    return KindCli(kind=kind or "kind", kubectl=kubectl or "kubectl")


def _check_docker() -> None:
    docker = shutil.which("docker")
    if not docker:
        raise DockerUnavailable(
            "The docker command is not installed (kind runs its nodes in Docker)."
        )
    preflight.check_memory(preflight.docker_info(docker))


def _check_healthy(cli: KindCli, timeout: float) -> list[dict]:
    """An existing cluster must answer and have the kit's three nodes, all Ready."""
    try:
        nodes = cli.nodes()
    except LabError as err:
        raise ClusterUnavailable(
            f"The kind cluster {cli.cluster!r} exists but its API server does not answer ({err.what}).",
            "Remove it with `make cluster-delete`, then create it again with `make cluster`.",
        ) from err
    if len(nodes) != EXPECTED_NODES:
        raise ClusterUnavailable(
            f"The kind cluster {cli.cluster!r} has {len(nodes)} nodes, not the course's "
            f"{EXPECTED_NODES} (it was not made from cluster/kind.yaml).",
            "Remove it with `make cluster-delete`, then create it again with `make cluster`.",
        )
    cli.wait_nodes_ready(timeout)
    return nodes


def create(
    progress: Progress | None = None,
    *,
    bin_dir: Path = BIN_DIR,
    node_timeout: float = NODE_TIMEOUT,
    metrics_timeout: float = METRICS_TIMEOUT,
    proc: Path = Path("/proc"),
    host_port: int = preflight.NODE_PORT,
    lock: dict | None = None,
    config: Path = KIND_CONFIG,
) -> dict:
    """Create the cluster, or reuse a healthy one; returns status() once all nodes are Ready.

    ``proc`` and ``host_port`` are what the pre-flight checks read (tests pass a fake /proc
    and a port they know is free); kind.yaml itself always maps 30080. ``lock``: the
    parsed cluster/tools.lock (default: read from the repository). ``config``: the kind
    config, changed for this host by helpers.kind.config (LAB_NODE_IMAGE, cgroup v1).

    Raises:
        DockerUnavailable, ToolMissing, ClusterUnavailable (a broken existing cluster),
        LabTimeout (nodes not Ready in time), LabError (a failed check, with the fix).

    Example:
        >>> create()["nodes"]
        [{'name': 'orchestra-control-plane', 'role': 'control-plane', 'ready': True}, ...]
    """
    report = progress or print_progress
    report("checking Docker", 0.02)
    _check_docker()
    report("finding kind and kubectl (pinned copies are downloaded into ./bin if missing)", 0.06)
    cli = _cli(bin_dir, fetch=True, lock=lock, report=report)
    if cli.exists():
        report(f"the cluster {cli.cluster!r} exists: checking it", 0.3)
        _check_healthy(cli, node_timeout)
        report("reusing the healthy existing cluster", 0.8)
    else:
        preflight.check_inotify(proc)
        preflight.check_port_free(host_port)
        report(
            f"creating the cluster {cli.cluster!r} (minutes the first time: ~1 GB node image)", 0.1
        )
        fraction = [0.1]

        def on_line(line: str) -> None:
            # kind prints about ten step lines; move the bar a little on each.
            fraction[0] = min(fraction[0] + 0.06, 0.7)
            report(line.strip(), fraction[0])

        config_path, changes = kind_config.for_this_host(config)
        for change in changes:
            report(f"kind config for this host: {change}", fraction[0])
        cli.create(str(config_path), on_line)
        report("waiting for every node to be Ready", 0.75)
        cli.wait_nodes_ready(node_timeout)
    report("installing metrics-server (for kubectl top and the HPA)", 0.85)
    cli.apply(str(METRICS_SERVER))
    try:
        cli.wait_available("metrics-server", "kube-system", metrics_timeout)
    except LabError as err:
        # The cluster is usable without it; only the autoscaling lab needs it.
        report(
            f"warning: metrics-server is not Available yet ({err.what}); the HPA lab needs it", 0.95
        )
    report("the cluster is ready", 1.0)
    return status(bin_dir=bin_dir)


def status(*, bin_dir: Path = BIN_DIR) -> dict:
    """What exists and answers, as a dict; never downloads or changes anything.

    Example:
        >>> status()
        {'cluster': 'orchestra', 'context': 'kind-orchestra', 'exists': True, 'ready': True, ...}
    """
    result = {
        "cluster": CLUSTER,
        "context": f"kind-{CLUSTER}",
        "exists": False,
        "reachable": False,
        "ready": False,
        "nodes": [],
        "metrics_server": False,
        "reason": "",
    }
    if not find_tool("kind", bin_dir):
        result["reason"] = "kind is not installed (`make cluster` fetches it)"
        return result
    cli = _cli(bin_dir, fetch=False)
    try:
        result["exists"] = cli.exists()
        if not result["exists"]:
            result["reason"] = "no kind cluster named orchestra: run `make cluster`"
            return result
        result["nodes"] = cli.nodes()
        result["reachable"] = True
        cli.kubectl_run(
            ["get", "deployment/metrics-server", "-n", "kube-system", "-o", "name"],
            15,
            "looking for metrics-server",
        )
        result["metrics_server"] = True
    except LabError as err:
        result["reason"] = err.what
    nodes = result["nodes"]
    result["ready"] = len(nodes) == EXPECTED_NODES and all(n["ready"] for n in nodes)
    return result


def delete(progress: Progress | None = None, *, bin_dir: Path = BIN_DIR) -> bool:
    """Delete the cluster; True if there was one. Deleting nothing is not an error.

    Example:
        >>> delete()
        True
    """
    report = progress or print_progress
    if not find_tool("kind", bin_dir):
        report("kind is not installed, so there is no kind cluster to delete", 1.0)
        return False
    cli = _cli(bin_dir, fetch=False)
    if not cli.exists():
        report(f"there is no cluster {cli.cluster!r}: nothing to delete", 1.0)
        return False
    report(f"deleting the cluster {cli.cluster!r}", 0.1)
    cli.delete()
    report("deleted", 1.0)
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.kind create|delete|status|tools`; exit 1 with the fix on failure.

    ``tools`` installs the pinned, verified kind and kubectl into ./bin (CI, Codespaces).
    """
    parser = argparse.ArgumentParser(prog="python -m helpers.kind", description=__doc__)
    parser.add_argument("command", choices=["create", "delete", "status", "tools"])
    args = parser.parse_args(argv)
    try:
        if args.command == "tools":
            for name, path in install_pinned().items():
                print(f"{name}: {path} (pinned, SHA-256 verified)")
        elif args.command == "create":
            create()
        elif args.command == "delete":
            delete()
        else:
            info = status()
            nodes = ", ".join(
                f"{n['name']} ({'Ready' if n['ready'] else 'NotReady'})" for n in info["nodes"]
            )
            print(
                f"cluster {info['cluster']}: exists={info['exists']} ready={info['ready']} "
                f"metrics-server={info['metrics_server']}"
            )
            print(f"nodes: {nodes or '-'}")
            if info["reason"]:
                print(f"note: {info['reason']}")
            return 0 if info["ready"] else 1
    except LabError as err:
        print(f"error: {err.what}\nnext: {err.hint}", file=sys.stderr)
        return 1
    return 0
