"""The kind config for this host: cluster/kind.yaml, changed only where the host needs it.

cluster/kind.yaml stays the one source of the course cluster (and of the simulator's
timings). ``make cluster`` creates the cluster from a generated copy when, and only when,
one of these applies, and says which:

* ``LAB_NODE_IMAGE`` (e.g. ``orchestra/node:v1.36.1`` from ``make node-image``) replaces
  every node's image: kind.yaml pins kind's image by digest, which a local build never has.
* A cgroup v1 Docker host (older Linux, some WSL2 kernels) gets a KubeletConfiguration
  patch ``failCgroupV1: false``: kubelets of Kubernetes 1.35 and later refuse to start on
  cgroup v1 otherwise (kubernetes.io/docs/concepts/architecture/cgroups/).

The offline node image (``make node-image``) brings its own default CNI manifest, which
kind applies as it applies kindnetd's, so it needs no change here.

Example:
    >>> path, changes = for_this_host()
    >>> changes
    ['cgroup v1 host: kubelets get failCgroupV1: false']
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from helpers.core.paths import REPO

KIND_CONFIG = REPO / "cluster" / "kind.yaml"
NODE_IMAGE_ENV = "LAB_NODE_IMAGE"

# Kubernetes 1.35+ (KEP-5573): the kubelet fails to start on cgroup v1 unless told not to.
CGROUP_V1_PATCH = """\
kind: KubeletConfiguration
# This host runs cgroup v1, which Kubernetes 1.35+ kubelets refuse by default.
failCgroupV1: false
"""


def _docker(*args: str) -> str | None:
    docker = shutil.which("docker")
    if not docker:
        return None
    try:
        done = subprocess.run(
            [docker, *args], capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def cgroup_version() -> int:
    """The cgroup version kind's nodes will see: the Docker engine's host, not this machine.

    Docker Desktop runs its containers in a VM, so the local /sys/fs/cgroup says nothing
    about them; ``docker info`` answers for the engine. Without Docker, the local hierarchy.

    Returns:
        1 or 2.
    """
    answer = _docker("info", "--format", "{{.CgroupVersion}}")
    if answer in ("1", "2"):
        return int(answer)
    return 2 if Path("/sys/fs/cgroup/cgroup.controllers").exists() else 1


def render(
    source: Path = KIND_CONFIG,
    node_image: str | None = None,
    cgroup: int = 2,
) -> tuple[dict, list[str]]:
    """``source`` as a dict with the host's changes, and the changes in words."""
    config = yaml.safe_load(source.read_text())
    changes = []
    if node_image:
        for node in config["nodes"]:
            node["image"] = node_image
        changes.append(f"node image {node_image} ({NODE_IMAGE_ENV})")
    if cgroup == 1:
        config.setdefault("kubeadmConfigPatches", []).append(CGROUP_V1_PATCH)
        changes.append("cgroup v1 host: kubelets get failCgroupV1: false")
    return config, changes


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the kubeadm patches) as literal blocks, as kind.yaml writes them."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def dump(config: dict, source: Path = KIND_CONFIG) -> str:
    """The generated config as YAML, saying where it came from."""
    head = f"# Generated from {source.name} by helpers.kind.config for this host; do not edit.\n"
    return head + yaml.dump(config, Dumper=_Dumper, sort_keys=False)


def for_this_host(
    source: Path = KIND_CONFIG, out_dir: Path | None = None
) -> tuple[Path, list[str]]:
    """The config ``kind create cluster`` should read here, and what was changed.

    Returns ``source`` itself when nothing needs changing; otherwise a generated copy in
    ``out_dir`` (default: a temporary folder).
    """
    node_image = os.environ.get(NODE_IMAGE_ENV) or None
    config, changes = render(source, node_image=node_image, cgroup=cgroup_version())
    if not changes:
        return source, []
    folder = out_dir or Path(tempfile.mkdtemp(prefix="orchestra-kind-"))
    path = folder / "kind.yaml"
    path.write_text(dump(config, source))
    return path, changes


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.kind config [--out PATH]``: the config, the changes on stderr."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m helpers.kind config")
    parser.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = parser.parse_args(argv)
    config, changes = render(
        node_image=os.environ.get(NODE_IMAGE_ENV) or None, cgroup=cgroup_version()
    )
    for change in changes:
        print(f"kind config for this host: {change}", file=sys.stderr)
    text = dump(config)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0
