"""Shared pieces of the API-server tests: the kubectl binary and a runner for it."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tiers import unavailable

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / "bin" / "kubectl"
HELM = ROOT / "bin" / "helm"
MANIFESTS = ROOT / "cluster" / "manifests"


@pytest.fixture
def kubectl_binary() -> Path:
    """The real kubectl; skips (or fails, when CI requires it) if it was not built."""
    if not KUBECTL.exists():
        unavailable("kubectl", f"{KUBECTL} is absent: build it with `make offline-tools`")
    return KUBECTL


# Tests that run the real binary: `pytestmark = needs_kubectl`, with kubectl_binary imported.
needs_kubectl = pytest.mark.usefixtures("kubectl_binary")


@pytest.fixture
def helm_binary() -> Path:
    """The real helm; skips (or fails, when CI requires kubectl) if it was not built."""
    if not HELM.exists():
        unavailable("kubectl", f"{HELM} is absent: build it with `make offline-tools`")
    return HELM


class Kubectl:
    """Runs the real kubectl against one kubeconfig, with a private discovery cache."""

    def __init__(self, kubeconfig: Path, cache: Path):
        self.kubeconfig, self.cache = kubeconfig, cache

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache),
             *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def popen(self, *args: str) -> subprocess.Popen:
        cmd = [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache)]
        return subprocess.Popen(
            [*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )


@contextlib.contextmanager
def serving(tmp_path: Path, deployed: bool = False) -> Iterator[tuple]:
    """(a simulated cluster serving its API, a Kubectl for it); ``deployed``: with the
    course's manifests applied and rolled out first."""
    from helpers.sim import SimCluster

    cluster = SimCluster(seed=0)
    if deployed:
        cluster.apply(MANIFESTS)
        cluster.wait_rollout("model")
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    try:
        yield cluster, Kubectl(tmp_path / "kubeconfig", tmp_path / "cache")
    finally:
        handle.close()
        cluster.close()
