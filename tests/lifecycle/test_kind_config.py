"""cluster/kind.yaml, cluster/tools.lock and cluster/metrics-server.yaml say what the kit needs."""

from __future__ import annotations

import re

import pytest
import yaml

from helpers.kind.tools import LOCK_PATH, REPO, load_lock

KIND_YAML = REPO / "cluster" / "kind.yaml"
METRICS_YAML = REPO / "cluster" / "metrics-server.yaml"
DIGEST = re.compile(r"^kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(KIND_YAML.read_text())


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"expected a duration in seconds, got {duration!r}"
    return int(match.group(1))


def test_cluster_is_named_orchestra_with_one_control_plane_and_two_workers(config):
    assert config["kind"] == "Cluster"
    assert config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert config["name"] == "orchestra"
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]


def test_api_server_and_node_port_bind_to_loopback_only(config):
    """kind's default listenAddress for port mappings is 0.0.0.0; the kit narrows it.

    https://kind.sigs.k8s.io/docs/user/configuration/#extra-port-mappings
    """
    assert config["networking"]["apiServerAddress"] == "127.0.0.1"
    mappings = [m for n in config["nodes"] for m in n.get("extraPortMappings", [])]
    assert mappings == [
        {"containerPort": 30080, "hostPort": 30080, "listenAddress": "127.0.0.1", "protocol": "TCP"}
    ]


def test_every_node_image_is_the_locked_digest(config):
    """kind supports a node image only with its release, and only pinned by digest.

    https://github.com/kubernetes-sigs/kind/releases/tag/v0.32.0
    """
    locked = load_lock()["node"]["image"]
    assert DIGEST.match(locked)
    assert {n["image"] for n in config["nodes"]} == {locked}
    assert ":latest" not in KIND_YAML.read_text()


def test_kubectl_matches_the_node_kubernetes_version():
    """kubectl is supported within one minor version of the API server.

    https://kubernetes.io/releases/version-skew-policy/#kubectl
    """
    lock = load_lock()
    node_version = re.search(r":(v\d+\.\d+)\.", lock["node"]["image"]).group(1)
    assert lock["kubectl"]["version"].startswith(node_version + ".")


def test_node_monitor_grace_period_is_shortened_and_appended_to_kubeadm_v1beta4(config):
    """Production default 50 s since Kubernetes 1.32 (40 s before).

    https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/
    """
    control_plane = config["nodes"][0]
    (patch,) = control_plane["kubeadmConfigPatchesJSON6902"]
    assert (patch["group"], patch["version"], patch["kind"]) == (
        "kubeadm.k8s.io",
        "v1beta4",
        "ClusterConfiguration",
    )
    (op,) = yaml.safe_load(patch["patch"])
    # "add .../-" appends: kind's own extraArgs (enable-hostpath-provisioner) stay.
    assert op["op"] == "add" and op["path"] == "/controllerManager/extraArgs/-"
    assert op["value"]["name"] == "node-monitor-grace-period"
    assert 10 <= _seconds(op["value"]["value"]) < 50


def test_kubelet_lease_renews_faster_than_the_grace_period(config):
    """The kubelet renews its Lease every 25 % of nodeLeaseDurationSeconds (default 40).

    https://kubernetes.io/docs/concepts/architecture/leases/#node-heart-beats
    """
    (patch,) = [yaml.safe_load(p) for p in config["kubeadmConfigPatches"]]
    assert patch["kind"] == "KubeletConfiguration"
    renew = patch["nodeLeaseDurationSeconds"] * 0.25
    grace = _seconds(
        yaml.safe_load(config["nodes"][0]["kubeadmConfigPatchesJSON6902"][0]["patch"])[0]["value"][
            "value"
        ]
    )
    assert grace / renew >= 3  # three renewals may be missed before the node turns Unknown


@pytest.mark.parametrize(
    "knob",
    [
        "nodeLeaseDurationSeconds:",
        "name: node-monitor-grace-period",
        "apiServerAddress:",
        "listenAddress:",
    ],
)
def test_every_knob_has_a_comment_with_its_reason(knob):
    lines = KIND_YAML.read_text().splitlines()
    (index,) = [i for i, line in enumerate(lines) if knob in line]
    # The comment block right above the knob (a knob inside a list item may sit a few
    # lines below its comment).
    above = lines[max(0, index - 8) : index]
    assert any(line.strip().startswith("#") for line in above), f"{knob} has no comment"


def test_classroom_knobs_state_the_production_default():
    text = KIND_YAML.read_text()
    assert "production default 50s" in text
    assert "production default 40)" in text


def test_tools_lock_has_a_checksum_per_platform_or_none():
    lock = load_lock(LOCK_PATH)
    for tool in ("kind", "kubectl", "helm"):
        entry = lock[tool]
        assert re.fullmatch(r"v\d+\.\d+\.\d+", entry["version"])
        assert "{version}" in entry["url"] and entry["url"].startswith("https://")
        assert set(entry["sha256"]) <= {
            "linux-amd64",
            "linux-arm64",
            "darwin-amd64",
            "darwin-arm64",
        }
        assert all(HEX64.match(value) for value in entry["sha256"].values())
        # One checksum can belong to one binary only: a copy-paste slip would show here.
        assert len(set(entry["sha256"].values())) == len(entry["sha256"])
    # The offline builder (CI) builds the same helm the download path pins.
    assert lock["helm"]["version"] == lock["offline"]["helm"]
    assert lock["helm"]["member"] == "{os}-{arch}/helm"


def test_metrics_server_runs_with_kubelet_insecure_tls_and_a_pinned_image():
    """kind's kubelets serve self-signed certificates: metrics-server must skip verifying them.

    https://github.com/kubernetes-sigs/metrics-server#requirements
    """
    docs = [d for d in yaml.safe_load_all(METRICS_YAML.read_text()) if d]
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "APIService", "ServiceAccount", "ClusterRole"} <= kinds
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "--kubelet-insecure-tls" in container["args"]
    assert container["image"] == load_lock()["metrics-server"]["image"]
    assert re.search(r":v\d+\.\d+\.\d+$", container["image"])
    assert container["imagePullPolicy"] == "IfNotPresent"
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


# Field names of kind's v1alpha4 config (sigs.k8s.io/kind/pkg/apis/config/v1alpha4/types.go
# at v0.32.0). kind decodes its config strictly, so a misspelt key fails `make cluster`.
CLUSTER_FIELDS = {
    "kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig",
    "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
}  # fmt: skip
NODE_FIELDS = {
    "role", "image", "labels", "extraMounts", "extraPortMappings", "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
}  # fmt: skip
NETWORKING_FIELDS = {
    "ipFamily", "apiServerPort", "apiServerAddress", "podSubnet", "serviceSubnet",
    "disableDefaultCNI", "kubeProxyMode", "dnsSearch",
}  # fmt: skip
PORT_FIELDS = {"containerPort", "hostPort", "listenAddress", "protocol"}
JSON6902_FIELDS = {"group", "version", "kind", "patch"}


def test_only_fields_kind_v1alpha4_knows(config):
    """https://kind.sigs.k8s.io/docs/user/configuration/"""
    assert set(config) <= CLUSTER_FIELDS
    assert set(config["networking"]) <= NETWORKING_FIELDS
    for node in config["nodes"]:
        assert set(node) <= NODE_FIELDS
        for mapping in node.get("extraPortMappings", []):
            assert set(mapping) <= PORT_FIELDS
        for patch in node.get("kubeadmConfigPatchesJSON6902", []):
            assert set(patch) == JSON6902_FIELDS


def test_importing_the_lifecycle_modules_prints_and_starts_nothing():
    import subprocess
    import sys

    code = (
        "import sys, helpers.kind, helpers.kind.cluster, helpers.kind.imagecli, helpers.kind.images, "
        "helpers.kind.preflight; "
        "assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
