"""cluster/offline: the kind config generator, the pinned versions and the scripts' syntax.

The build itself (make node-image, tens of minutes cold) and a cluster from it
(make offline-smoke) are not run here; test_offline_cluster runs the smoke test when the
node image exists and LAB_OFFLINE_SMOKE=1.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from helpers.kind import config as kind_config

REPO = Path(__file__).resolve().parents[2]
OFFLINE = REPO / "cluster" / "offline"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, OFFLINE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_node_image_override_replaces_every_image_and_keeps_the_rest():
    config, changes = kind_config.render(node_image="orchestra/node:v1.36.1", cgroup=2)
    assert {n["image"] for n in config["nodes"]} == {"orchestra/node:v1.36.1"}
    original = yaml.safe_load((REPO / "cluster" / "kind.yaml").read_text())
    assert len(config["nodes"]) == len(original["nodes"]) == 3
    assert config["nodes"][0]["extraPortMappings"] == original["nodes"][0]["extraPortMappings"]
    assert config["kubeadmConfigPatches"] == original["kubeadmConfigPatches"]
    assert "disableDefaultCNI" not in config["networking"]
    assert changes == ["node image orchestra/node:v1.36.1 (LAB_NODE_IMAGE)"]


def test_without_override_the_pinned_digest_stays():
    config, changes = kind_config.render(cgroup=2)
    assert all("@sha256:" in n["image"] for n in config["nodes"])
    assert changes == []


def test_cgroup_v1_adds_fail_cgroup_v1_false_and_v2_does_not():
    def patches(cgroup):
        config, _ = kind_config.render(cgroup=cgroup)
        return [yaml.safe_load(p) for p in config["kubeadmConfigPatches"]]

    assert {"kind": "KubeletConfiguration", "failCgroupV1": False} in patches(1)
    assert not any("failCgroupV1" in p for p in patches(2))


def test_the_config_command_writes_a_loopback_only_config(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_NODE_IMAGE", "x/node:1")
    out = tmp_path / "kind.yaml"
    assert kind_config.main(["--out", str(out)]) == 0
    config = yaml.safe_load(out.read_text())
    assert config["networking"] == {"apiServerAddress": "127.0.0.1"}
    assert {n["image"] for n in config["nodes"]} == {"x/node:1"}


def test_cgroup_version_is_1_or_2():
    assert kind_config.cgroup_version() in (1, 2)


def test_offline_versions_are_pinned_and_match_kubectl():
    lock = tomllib.loads((REPO / "cluster" / "tools.lock").read_text())
    offline = lock["offline"]
    assert offline["kubernetes"] == lock["kubectl"]["version"]
    for key in ("kubernetes", "etcd", "coredns", "containerd", "local-path-provisioner", "helm"):
        assert re.fullmatch(r"v\d+\.\d+\.\d+", offline[key]), key
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", offline["pause"])


@pytest.mark.parametrize("script", sorted(p.name for p in OFFLINE.glob("*.sh")))
def test_scripts_parse(script):
    subprocess.run(["bash", "-n", str(OFFLINE / script)], check=True)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_pass_shellcheck():
    scripts = [
        *OFFLINE.glob("*.sh"),
        REPO / ".ci" / "kind-host.sh",
        REPO / "tools" / "test-kind.sh",
    ]
    scripts += sorted((OFFLINE / "node" / "usr" / "local" / "bin").iterdir())
    subprocess.run(["shellcheck", "-x", *map(str, scripts)], check=True, cwd=REPO)


def test_mkimage_writes_an_oci_layout(tmp_path):
    mkimage = _load("mkimage")
    binary = tmp_path / "tool"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    out = tmp_path / "image.tar"
    args = [
        "--name", "registry.k8s.io/pause:3.10.2", "--out", str(out),
        "--add", f"{binary}:/pause", "--entrypoint", "/pause",
    ]  # fmt: skip
    mkimage.write_image(_parse(mkimage, args))
    import json
    import tarfile

    with tarfile.open(out) as tar:
        names = tar.getnames()
        index = json.load(tar.extractfile("index.json"))
    assert "oci-layout" in names
    (manifest,) = index["manifests"]
    assert manifest["annotations"]["io.containerd.image.name"] == "registry.k8s.io/pause:3.10.2"
    # Reproducible: the same input gives the same archive.
    again = tmp_path / "again.tar"
    mkimage.write_image(_parse(mkimage, [*args[:2], "--out", str(again), *args[4:]]))
    assert out.read_bytes() == again.read_bytes()


def _parse(mkimage, args):
    return mkimage.build_parser().parse_args(args)


@pytest.mark.kind
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("LAB_OFFLINE_SMOKE") != "1", reason="set LAB_OFFLINE_SMOKE=1")
def test_offline_cluster_smoke():
    """make node-image, then a real 3-node cluster from it (several minutes)."""
    image = os.environ.get("LAB_NODE_IMAGE", "orchestra/node:v1.36.1")
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        pytest.skip(f"no {image}: run make node-image")
    subprocess.run(["bash", str(OFFLINE / "smoke.sh")], check=True, timeout=900, cwd=REPO)
