"""helpers.lab.kubectl with the real kubectl binary, on the simulator (virtual time).

The command runs the real kubectl against the simulator's own API server, so a notebook
prints what a terminal prints (kubernetes.io/docs/reference/kubectl/): the server's Table
columns (kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables),
"No resources found in <ns> namespace." for an empty list, kubectl's own error text.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

import helpers.lab
from helpers.errors import CommandFailed, LabError
from helpers.lab import kubectl_runner
from tests.sim.httpapi_kit import kubectl_binary  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("kubectl_binary")


@pytest.fixture
def real_kubectl(monkeypatch, kubectl_binary):  # noqa: F811 (the fixture above)
    """The repository's kubectl, whatever else is on PATH or in LAB_KUBECTL."""
    monkeypatch.delenv("LAB_KUBECTL", raising=False)
    monkeypatch.setattr(kubectl_runner, "find_tool", lambda name: str(kubectl_binary))


def test_a_notebook_prints_what_kubectl_prints(deployed, real_kubectl):
    out = helpers.lab.kubectl("get pods -o wide")
    assert isinstance(out, kubectl_runner.KubectlOutput)
    header, *rows = out.lines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                              "NOMINATED", "NODE", "READINESS", "GATES"]  # fmt: skip
    assert len(rows) == 3 and all(" Running " in row for row in rows)
    assert repr(out) == out.text.rstrip("\n")  # a notebook shows the text itself
    nodes = helpers.lab.kubectl("kubectl get nodes").lines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert nodes[1].split()[:3] == ["orchestra-control-plane", "Ready", "control-plane"]
    assert nodes[1].split()[-1] == "v1.36.1"  # the course cluster's version


def test_ages_count_in_cluster_time_so_virtual_runs_repeat(real_kubectl):
    """The server prints the AGE cells (from the cluster's clock), so two runs with one
    seed print the same, whatever the wall clock says."""
    texts = []
    for _ in range(2):
        cluster = helpers.lab.start("03_scale", backend="sim")
        cluster.sleep(125)
        texts.append(helpers.lab.kubectl("get deployments,replicasets").text)
        cluster.close()
    assert texts[0] == texts[1]
    assert "2m" in texts[0]  # about two minutes of cluster time since the model was applied


def test_writes_and_the_two_reference_forms(deployed, real_kubectl):
    kubectl = helpers.lab.kubectl
    assert kubectl("scale deployment model --replicas 4").text == "deployment.apps/model scaled\n"
    assert deployed.get("Deployment", "model")["spec"]["replicas"] == 4
    empty = kubectl("get pods -n kube-system").text
    assert empty == "No resources found in kube-system namespace.\n"


def test_rollout_status_lets_virtual_time_run_to_the_end(deployed, real_kubectl):
    """kubectl rollout status waits for the rollout; in virtual time the cluster runs
    until it ends, then kubectl reports it (kubectl_rollout_status)."""
    helpers.lab.kubectl("set image deployment/model model=orchestra/model:v2")
    out = helpers.lab.kubectl("rollout status deployment/model --timeout 2m")
    assert out.text == 'deployment "model" successfully rolled out\n'
    assert set(deployed.pods("app=model").query("ready")["version"]) == {"v2"}


def test_errors_are_kubectls_own_words(deployed, real_kubectl):
    with pytest.raises(CommandFailed) as err:
        helpers.lab.kubectl("get deployment nope")
    assert err.value.what == 'Error from server (NotFound): deployments.apps "nope" not found'
    with pytest.raises(CommandFailed, match="unknown command"):
        helpers.lab.kubectl("gett pods")


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("edit deployment/model", "interactive: it needs a terminal"),
        ("get pods --watch", "streams until it is stopped"),
        ("logs -f deployment/model", "streams until it is stopped"),
        ("wait --for=condition=Available deployment/model", "clock does not move"),
        ("get pods --context kind-orchestra", "always talks to the lab's cluster"),
        ("get pods --token=abc", "always talks to the lab's cluster"),
    ],
)
def test_refused_with_the_reason(deployed, real_kubectl, command, why):
    with pytest.raises(LabError, match=why):
        helpers.lab.kubectl(command)


def test_the_token_never_shows_and_its_files_are_private(deployed, real_kubectl):
    raw = helpers.lab.kubectl("config view --raw -o yaml").text
    handle = kubectl_runner.served(deployed)
    assert handle.token not in raw and "token: REDACTED" in raw
    kubeconfig = Path(handle.kubeconfig)
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert stat.S_IMODE(kubeconfig.parent.stat().st_mode) == 0o700
    assert "127.0.0.1" in raw  # the simulator's API server listens on loopback only


def test_builtin_is_the_fallback_without_a_binary(deployed, monkeypatch):
    monkeypatch.setattr(kubectl_runner, "find_tool", lambda name: None)
    assert list(helpers.lab.kubectl("get pods")["ready"]) == [True] * 3


def test_one_api_server_at_a_time(real_kubectl):
    first = helpers.lab.start("00_setup", backend="sim")
    helpers.lab.kubectl("get nodes")
    handle = kubectl_runner.served(first)
    second = helpers.lab.start("00_setup", backend="sim")
    helpers.lab.kubectl("get nodes")
    assert kubectl_runner.served(second) is not handle
    assert not Path(handle.kubeconfig).exists()  # the first one's server is closed
    kubectl_runner.close()
    first.close()
    second.close()


def test_a_terminal_shares_the_notebooks_cluster(tmp_path, monkeypatch, kubectl_binary):  # noqa: F811
    """make lab sets LAB_SIM_KUBECONFIG: start() serves the simulated cluster's API and
    writes the kubeconfig there (mode 0600), so a terminal's kubectl reads the notebook's
    cluster; a newer lab takes the file over, and closing removes it only while it is ours."""
    shared = tmp_path / ".sim" / "kubeconfig"
    monkeypatch.setenv(kubectl_runner.SHARED_ENV, str(shared))
    first = helpers.lab.start("03_scale", backend="sim", speed="virtual")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    first.scale("model", 5)
    terminal = [str(kubectl_binary), "--kubeconfig", str(shared), "--cache-dir", str(tmp_path)]
    out = subprocess.run([*terminal, "get", "deployment", "model", "-o", "jsonpath={.spec.replicas}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out == "5"
    second = helpers.lab.start("00_setup", backend="sim", speed="virtual")
    assert kubectl_runner.served(second).url in shared.read_text()
    kubectl_runner.close()
    assert not shared.exists()
    first.close()
    second.close()


def test_a_terminal_watch_sees_a_realtime_lab_move(tmp_path, monkeypatch, kubectl_binary):  # noqa: F811
    """In realtime (a person's run) `kubectl get pods --watch` in a terminal shows the
    pods a notebook's scale starts while the cell runs (kubectl_get: --watch)."""
    shared = tmp_path / "kubeconfig"
    monkeypatch.setenv(kubectl_runner.SHARED_ENV, str(shared))
    cluster = helpers.lab.start("03_scale", backend="sim", speed=20)
    watch = subprocess.Popen(
        [str(kubectl_binary), "--kubeconfig", str(shared), "--cache-dir", str(tmp_path), "get",
         "pods", "--watch", "--output-watch-events", "--request-timeout=60s"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = [watch.stdout.readline() for _ in range(4)]  # the header and 3 pods
        assert lines[0].split()[:2] == ["EVENT", "NAME"]
        cluster.scale("model", 5)
        added = []
        while len(added) < 2:  # two new pods, ADDED as they are made; bounded by the timeout
            line = watch.stdout.readline()
            assert line, "the watch ended before the new pods appeared"
            if line.startswith("ADDED"):
                added.append(line.split()[1])
        assert all(name.startswith("model-") for name in added)
        cluster.wait_rollout("model", timeout=120)
    finally:
        watch.kill()
        watch.wait()
        kubectl_runner.close()
        cluster.close()
