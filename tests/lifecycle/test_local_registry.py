"""helpers.kind.registry without Docker: what it asks the engine and the nodes, and its errors.

The real flow (push, the nodes pull) is tests/integration/test_registry.py on kind; here a fake
engine checks the wiring kind's local-registry guide describes
(https://kind.sigs.k8s.io/docs/user/local-registry/) and `make images` choosing push or load.
"""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import docker.errors
import pytest

from helpers.core.paths import REPO
from helpers.errors import LabError
from helpers.kind import registry


class FakeNode:
    def __init__(self, name: str):
        self.name = name
        self.files: dict[str, str] = {}
        self.commands: list[list[str]] = []

    def exec_run(self, argv):
        self.commands.append(argv)
        if argv[:2] == ["sh", "-c"]:
            self.files[f"{registry.CERTS_DIR}/hosts.toml"] = argv[3]
        elif argv[:2] == ["rm", "-rf"]:
            self.files = {k: v for k, v in self.files.items() if not k.startswith(argv[2])}
        return SimpleNamespace(exit_code=0, output=b"")


class FakeContainers:
    def __init__(self, nodes):
        self.nodes = nodes
        self.registry = None
        self.run_args = None

    def list(self, filters):
        assert filters == {"label": "io.x-k8s.kind.cluster=orchestra"}
        return self.nodes

    def get(self, name):
        if self.registry is None:
            raise docker.errors.NotFound(name)
        return self.registry

    def run(self, image, **kwargs):
        self.run_args = (image, kwargs)
        self.registry = SimpleNamespace(
            name=kwargs["name"], status="running", attrs={}, remove=lambda force: None
        )
        return self.registry


class FakeDocker:
    def __init__(self, nodes, have_image=True):
        self.containers = FakeContainers(nodes)
        self.have_image = have_image
        self.images = SimpleNamespace(get=self._get_image, pull=self._pull)

    def _get_image(self, name):
        if not self.have_image:
            raise docker.errors.ImageNotFound(name)

    def _pull(self, name):
        raise docker.errors.APIError("pull access denied", explanation="no registry here")


def test_start_runs_the_registry_on_loopback_and_wires_every_node(monkeypatch):
    monkeypatch.setenv("LAB_LOCAL_REGISTRY_IMAGE", "orchestra/registry:v3.1.2")
    nodes = [FakeNode("orchestra-control-plane"), FakeNode("orchestra-worker")]
    engine = FakeDocker(nodes)
    assert registry.start(client=engine) == "localhost:5001"
    image, kwargs = engine.containers.run_args
    assert image == "orchestra/registry:v3.1.2"
    assert kwargs["ports"] == {"5000/tcp": ("127.0.0.1", 5001)}  # never 0.0.0.0
    assert kwargs["network"] == "kind"
    for node in nodes:
        toml = node.files[f"{registry.CERTS_DIR}/hosts.toml"]
        assert '[host."http://orchestra-registry:5000"]' in toml
    assert registry.CERTS_DIR == "/etc/containerd/certs.d/localhost:5001"


def test_start_without_a_cluster_says_to_create_it_first():
    with pytest.raises(LabError, match="no kind cluster 'orchestra'") as err:
        registry.start(client=FakeDocker([]))
    assert "make cluster" in err.value.hint


def test_a_registry_image_that_cannot_be_pulled_names_the_offline_build():
    with pytest.raises(LabError, match="cannot be pulled") as err:
        registry.start(client=FakeDocker([FakeNode("orchestra-worker")], have_image=False))
    assert "make registry-image" in err.value.hint


def test_stop_removes_the_nodes_wiring_and_reports_whether_there_was_a_registry():
    nodes = [FakeNode("orchestra-worker")]
    engine = FakeDocker(nodes)
    assert registry.stop(client=engine) is False
    registry.start(client=engine)
    assert registry.stop(client=engine) is True
    assert nodes[0].files == {}


@pytest.mark.parametrize(
    "env, flag", [({}, "--load"), ({"LAB_REGISTRY": "localhost:5001"}, "--push")]
)
def test_make_images_pushes_when_a_registry_is_named(env, flag):
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "images", *(f"{k}={v}" for k, v in env.items())],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if "helpers.kind images build" in line)
    assert line.rstrip().endswith(flag)
