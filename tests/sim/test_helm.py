"""Real helm on the simulator: install, upgrade, history, rollback and uninstall of a chart.

Helm 3 keeps each release revision in a Secret of type ``helm.sh/release.v1`` labelled
``owner=helm`` (helm.sh/docs/topics/advanced/#storage-backends), written by client-go's
typed client in protobuf; the chart's objects go through the dynamic client in JSON.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers.sim import SimCluster
from tests.sim.httpapi_kit import HELM, helm_binary  # noqa: F401

pytestmark = pytest.mark.usefixtures("helm_binary")
CHART = Path(__file__).parent / "fixtures" / "chart"


@pytest.fixture
def helm(tmp_path):
    cluster = SimCluster(seed=0)
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    env = {"KUBECONFIG": str(tmp_path / "kubeconfig"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "HELM_CACHE_HOME": str(tmp_path / "cache"),
           "HELM_CONFIG_HOME": str(tmp_path / "config"), "HELM_DATA_HOME": str(tmp_path / "data")}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(HELM), *args], env=env, capture_output=True, text=True,
                                timeout=60, check=False)  # fmt: skip
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    yield cluster, run
    handle.close()
    cluster.close()


def releases(cluster) -> list[tuple[str, str]]:
    """(name, status label) of helm's release Secrets."""
    return [
        (s["metadata"]["name"], s["metadata"]["labels"]["status"])
        for s in cluster.list_objects("Secret", selector="owner=helm")
    ]


def replicas(cluster) -> int:
    return cluster.get("Deployment", "demo")["spec"]["replicas"]


def test_install_upgrade_rollback_uninstall(helm):
    cluster, run = helm
    assert "STATUS: deployed" in run("install", "demo", str(CHART)).stdout
    cluster.wait_rollout("demo")
    assert replicas(cluster) == 2
    assert cluster.get("ConfigMap", "demo-config")["data"] == {"GREETING": "hello"}
    record = cluster.get("Secret", "sh.helm.release.v1.demo.v1")
    assert record["type"] == "helm.sh/release.v1" and record["data"]["release"]
    assert "demo\tdefault\t1" in run("list").stdout.replace(" ", "")

    run("upgrade", "demo", str(CHART), "--set", "replicas=4", "--set", "greeting=hi")
    cluster.wait_rollout("demo")
    assert replicas(cluster) == 4
    assert cluster.get("ConfigMap", "demo-config")["data"] == {"GREETING": "hi"}
    assert releases(cluster) == [
        ("sh.helm.release.v1.demo.v1", "superseded"),
        ("sh.helm.release.v1.demo.v2", "deployed"),
    ]
    history = run("history", "demo").stdout
    assert "Install complete" in history and "Upgrade complete" in history

    run("rollback", "demo", "1")
    cluster.wait_rollout("demo")
    assert replicas(cluster) == 2
    assert cluster.get("ConfigMap", "demo-config")["data"] == {"GREETING": "hello"}
    assert "Rollback to 1" in run("history", "demo").stdout

    assert 'release "demo" uninstalled' in run("uninstall", "demo").stdout
    for kind, name in (("Deployment", "demo"), ("Service", "demo"), ("ConfigMap", "demo-config")):
        assert not [o for o in cluster.list_objects(kind) if o["metadata"]["name"] == name]
    assert releases(cluster) == []
