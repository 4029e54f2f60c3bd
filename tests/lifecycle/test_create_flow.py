"""The decisions of `make cluster` / `make cluster-delete`, against fake kind/kubectl/docker.

The fakes (tests/lifecycle/fake_tools.py) are executables on PATH that answer with the real
tools' texts; these tests check what the kit runs, in which order, and which error a
student sees.
"""

from __future__ import annotations

import socket

import pytest

from helpers.errors import ClusterUnavailable, DockerUnavailable, LabError, LabTimeout, ToolMissing
from helpers.kind import cluster as kindcluster
from helpers.kind.tools import host_platform


def _create(fakes, proc, port, steps=None, **kw):
    def record(step, fraction):
        if steps is not None:
            steps.append((step, fraction))

    return kindcluster.create(record, bin_dir=fakes.local_bin, proc=proc, host_port=port, **kw)


def test_absent_cluster_is_created_from_kind_yaml_and_waited_for(fakes, good_proc, free_port):
    steps: list = []
    result = _create(fakes, good_proc, free_port, steps)
    (create,) = [c for c in fakes.calls("kind") if c[:2] == ["create", "cluster"]]
    assert create == [
        "create",
        "cluster",
        "--name",
        "orchestra",
        "--config",
        str(kindcluster.KIND_CONFIG),
    ]
    kubectl = fakes.calls("kubectl")
    wait_nodes = [c for c in kubectl if "wait" in c and "nodes" in c]
    assert wait_nodes and "--for=condition=Ready" in wait_nodes[0] and "--all" in wait_nodes[0]
    assert all(c[:2] == ["--context", "kind-orchestra"] for c in kubectl)
    assert [
        "--context",
        "kind-orchestra",
        "apply",
        "-f",
        str(kindcluster.METRICS_SERVER),
    ] in kubectl
    # kind's own progress lines reach the callback; the bar only moves forward, ends at 1.
    assert any("Joining worker nodes" in step for step, _ in steps)
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert result["ready"] and len(result["nodes"]) == 3 and result["metrics_server"]


def test_healthy_existing_cluster_is_reused_not_recreated(fakes, good_proc, free_port):
    fakes.set("clusters", "orchestra\n")
    result = _create(fakes, good_proc, free_port)
    assert not [c for c in fakes.calls("kind") if c[:1] == ["create"]]
    assert result["ready"]


def test_existing_cluster_holding_port_30080_is_still_reused(fakes, good_proc):
    """The port check applies only before creating: a running cluster holds the port itself."""
    fakes.set("clusters", "orchestra\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = _create(fakes, good_proc, busy.getsockname()[1])
    assert result["exists"]


def test_nodes_that_never_become_ready_end_in_lab_timeout_naming_the_node(
    fakes, good_proc, free_port
):
    fakes.set("nodes_never_ready")
    with pytest.raises(LabTimeout) as caught:
        _create(fakes, good_proc, free_port, node_timeout=30)
    assert "within 30 s" in caught.value.what
    assert "nodes/orchestra-worker" in caught.value.what
    assert "make doctor" in caught.value.hint
    assert not [c for c in fakes.calls("kubectl") if "apply" in c]  # stopped before add-ons


def test_existing_cluster_whose_api_is_down_says_to_delete_it(fakes, good_proc, free_port):
    fakes.set("clusters", "orchestra\n")
    fakes.set("api_down")
    with pytest.raises(ClusterUnavailable) as caught:
        _create(fakes, good_proc, free_port)
    assert "make cluster-delete" in caught.value.hint
    assert "was refused" in caught.value.what
    assert not [c for c in fakes.calls("kind") if c[:1] == ["create"]]


def test_existing_cluster_with_the_wrong_shape_says_to_delete_it(fakes, good_proc, free_port):
    fakes.set("clusters", "orchestra\n")
    fakes.set("one_node")
    with pytest.raises(ClusterUnavailable, match="has 1 nodes"):
        _create(fakes, good_proc, free_port)


def test_docker_down_stops_before_kind_runs(fakes, good_proc, free_port):
    fakes.set("docker_down")
    with pytest.raises(DockerUnavailable) as caught:
        _create(fakes, good_proc, free_port)
    assert "Cannot connect to the Docker daemon" in caught.value.what
    assert 'helpers.connect("sim")' in caught.value.hint
    assert fakes.calls("kind") == []


def test_too_little_docker_memory_is_refused_with_the_setting_to_change(
    fakes, good_proc, free_port
):
    fakes.set("memory", str(2 * 1024**3))
    with pytest.raises(LabError) as caught:
        _create(fakes, good_proc, free_port)
    assert "2.0 GiB" in caught.value.what
    assert "Resources > Memory" in caught.value.hint
    assert fakes.calls("kind") == []


def test_low_inotify_limits_name_the_sysctl_command(fakes, tmp_path, free_port):
    """kind's known multi-node failure: https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files"""
    proc = tmp_path / "lowproc"
    (proc / "sys/fs/inotify").mkdir(parents=True)
    (proc / "sys/fs/inotify/max_user_watches").write_text("8192\n")
    (proc / "sys/fs/inotify/max_user_instances").write_text("128\n")
    with pytest.raises(LabError) as caught:
        _create(fakes, proc, free_port)
    assert (
        "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512"
        in caught.value.hint
    )
    assert not [c for c in fakes.calls("kind") if c[:1] == ["create"]]


def test_busy_node_port_is_refused_before_creating(fakes, good_proc):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LabError) as caught:
            _create(fakes, good_proc, port)
    assert f"127.0.0.1:{port}" in caught.value.what
    assert f"lsof -i :{port}" in caught.value.hint
    assert not [c for c in fakes.calls("kind") if c[:1] == ["create"]]


def test_delete_is_idempotent(fakes):
    steps: list = []
    assert kindcluster.delete(lambda s, f: steps.append(s), bin_dir=fakes.local_bin) is False
    assert not [c for c in fakes.calls("kind") if c[:1] == ["delete"]]
    fakes.set("clusters", "orchestra\n")
    assert kindcluster.delete(lambda s, f: steps.append(s), bin_dir=fakes.local_bin) is True
    assert ["delete", "cluster", "--name", "orchestra"] in fakes.calls("kind")
    assert kindcluster.status(bin_dir=fakes.local_bin)["exists"] is False


def test_status_reports_without_creating_anything(fakes):
    before = kindcluster.status(bin_dir=fakes.local_bin)
    assert before["exists"] is False and "make cluster" in before["reason"]
    fakes.set("clusters", "orchestra\n")
    after = kindcluster.status(bin_dir=fakes.local_bin)
    assert after["ready"] and after["context"] == "kind-orchestra"
    assert not [c for c in fakes.calls("kind") if c[:1] in (["create"], ["delete"])]


def test_command_line_prints_the_fix_and_exits_1(fakes, capsys):
    fakes.set("docker_down")
    assert kindcluster.main(["create"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nnext: " in err


def test_metrics_server_not_available_is_a_warning_not_a_failure(fakes, good_proc, free_port):
    """The cluster is usable without metrics-server; only the HPA lab needs it."""
    fakes.set("metrics_unavailable")
    steps: list = []
    result = _create(fakes, good_proc, free_port, steps)
    assert result["ready"]
    warnings = [s for s, _ in steps if s.startswith("warning: metrics-server")]
    assert warnings and "HPA" in warnings[0]


def test_a_kind_of_another_release_is_not_used_with_the_pinned_node_image(
    fakes, good_proc, free_port
):
    """kind supports a node image only with the kind release that built it.

    https://kind.sigs.k8s.io/docs/user/quick-start/#creating-a-cluster
    """
    fakes.set("old_kind")
    with socket.socket() as sock:  # the pinned download is attempted, and fails (offline)
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/kind"
    lock = {"kind": {"version": "v0.32.0", "url": dead, "sha256": {host_platform(): "0" * 64}}}
    steps: list = []
    with pytest.raises(ToolMissing) as caught:
        _create(fakes, good_proc, free_port, steps, lock=lock)
    assert "kind v0.20.0" in caught.value.what and "needs kind v0.32.0" in caught.value.what
    assert "Install kind v0.32.0" in caught.value.hint
    assert any("fetching v0.32.0" in step for step, _ in steps)
    assert fakes.calls("kind") == [["version"]]


def test_status_command_line_exit_code_follows_readiness(fakes, capsys):
    from helpers.kind.tools import BIN_DIR

    if (BIN_DIR / "kind").exists():
        pytest.skip("./bin/kind exists: the command line would ask the real kind, not the fake")
    assert kindcluster.main(["status"]) == 1
    assert "exists=False" in capsys.readouterr().out
    fakes.set("clusters", "orchestra\n")
    assert kindcluster.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "ready=True" in out and "orchestra-worker2 (Ready)" in out


def test_a_cgroup_v1_host_with_a_local_node_image_gets_a_generated_config(
    fakes, good_proc, free_port, monkeypatch
):
    # Kubernetes 1.35+ kubelets refuse cgroup v1 unless failCgroupV1: false
    # (kubernetes.io/docs/concepts/architecture/cgroups/); a local node image (no digest)
    # comes from LAB_NODE_IMAGE.
    import yaml

    fakes.set("cgroup", "1")
    monkeypatch.setenv("LAB_NODE_IMAGE", "orchestra/node:v1.36.1")
    steps: list = []
    _create(fakes, good_proc, free_port, steps)
    (create,) = [c for c in fakes.calls("kind") if c[:2] == ["create", "cluster"]]
    path = create[create.index("--config") + 1]
    assert path != str(kindcluster.KIND_CONFIG)  # kind.yaml itself stays as committed
    with open(path) as f:
        config = yaml.safe_load(f)
    assert {n["image"] for n in config["nodes"]} == {"orchestra/node:v1.36.1"}
    assert any("failCgroupV1: false" in p for p in config["kubeadmConfigPatches"])
    assert "disableDefaultCNI" not in config["networking"]  # the offline image brings its own
    assert config["networking"]["apiServerAddress"] == "127.0.0.1"  # the rest is kind.yaml's
    said = " ".join(step for step, _ in steps)
    assert "failCgroupV1: false" in said and "LAB_NODE_IMAGE" in said
