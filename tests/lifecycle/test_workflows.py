"""The GitHub workflows and the dev container: they parse and run what the kit promises."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from helpers.kind.tools import REPO

WORKFLOWS = REPO / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _runs(workflow: dict) -> list[str]:
    return [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]


def _index(runs: list[str], needle: str) -> int:
    (index,) = [i for i, run in enumerate(runs) if needle in run]
    return index


@pytest.mark.parametrize("name", ["ci.yml", "kind.yml"])
def test_workflow_parses_and_runs_on_ubuntu_latest(name):
    workflow = _load(name)
    assert workflow["name"]
    # PyYAML reads the key `on` as the boolean True (YAML 1.1); GitHub reads it as "on".
    assert workflow[True]
    assert workflow["permissions"] == {"contents": "read"}
    assert {job["runs-on"] for job in workflow["jobs"].values()} == {"ubuntu-latest"}


@pytest.mark.parametrize("name", ["ci.yml", "kind.yml"])
def test_every_action_is_pinned_by_commit_sha_with_its_tag(name):
    lines = (WORKFLOWS / name).read_text().splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses, "expected at least checkout"
    for ref in uses:
        assert PINNED.match(ref), f"not pinned by SHA with a tag comment: {ref}"


def test_ci_runs_the_unit_tier_script():
    assert "bash .ci/run" in _runs(_load("ci.yml"))


def test_kind_workflow_creates_loads_then_tests_in_order():
    workflow = _load("kind.yml")
    runs = _runs(workflow)
    order = [
        _index(runs, "python -m helpers.kind tools"),
        runs.index("make cluster"),
        runs.index("make images"),
        runs.index("make test"),
        _index(runs, "pytest -m kind tests/integration"),
        _index(runs, "--nbval"),
    ]
    assert order == sorted(order)
    steps = next(iter(workflow["jobs"].values()))["steps"]
    by_run = {step.get("run", ""): step for step in steps}
    notebooks = next(step for run, step in by_run.items() if "--nbval" in run)
    integration = next(step for run, step in by_run.items() if "-m kind" in run)
    assert notebooks["env"]["LAB_BACKEND"] == "kind"
    assert integration["env"]["LAB_BACKEND"] == "kind"
    cleanup = steps[-1]
    assert cleanup["run"] == "make cluster-delete" and cleanup["if"] == "always()"
    assert any("fs.inotify.max_user_watches=524288" in run for run in runs)


def test_devcontainer_has_docker_in_docker_python_and_a_labelled_lab_port():
    config = json.loads((REPO / ".devcontainer" / "devcontainer.json").read_text())
    assert any("docker-in-docker" in feature for feature in config["features"])
    minor = int(re.search(r"python:\d+-3\.(\d+)", config["image"]).group(1))
    assert minor >= 11
    assert 8888 in config["forwardPorts"]
    assert "JupyterLab" in config["portsAttributes"]["8888"]["label"]
    assert "make doctor" in config["postCreateCommand"]
    assert "helpers.kind tools" in config["postCreateCommand"]  # pinned kind/kubectl
    assert config["remoteEnv"]["PATH"].startswith("${containerWorkspaceFolder}/bin:")
