"""Real kubectl's wider vocabulary on a simulated cluster: describe, set, label, patch,
rollout history/undo/pause/resume, cordon, drain, logs, top, edit, and what is not modelled."""

from __future__ import annotations

import json
import os
import stat

import pytest

from helpers.sim import SimCluster
from tests.sim.httpapi_kit import MANIFESTS, Kubectl, kubectl_binary, needs_kubectl  # noqa: F401
from tests.sim.test_httpapi_write import moving_clock

pytestmark = needs_kubectl


@pytest.fixture
def served(tmp_path):
    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS)
    cluster.wait_rollout("model")
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    yield cluster, Kubectl(tmp_path / "kubeconfig", tmp_path / "cache")
    handle.close()
    cluster.close()


def image(cluster) -> str:
    return cluster.get("Deployment", "model")["spec"]["template"]["spec"]["containers"][0]["image"]


def test_describe_names_the_objects_and_their_events(served):
    cluster, kubectl = served
    pod = cluster.list_objects("Pod")[0]["metadata"]["name"]
    for what, expect in [(("deploy", "model"), "NewReplicaSet:"), (("svc", "model"), "Endpoints:"),
                         (("nodes",), "Allocated resources:"), (("pod", pod), "Scheduled")]:  # fmt: skip
        r = kubectl("describe", *what)
        assert r.returncode == 0 and expect in r.stdout, (what, r.stderr)
    assert "ScalingReplicaSet" in kubectl("describe", "deploy", "model").stdout


def test_set_label_annotate_and_patch_three_ways(served):
    cluster, kubectl = served
    assert kubectl("set", "image", "deploy/model", "model=orchestra/model:v2").returncode == 0
    assert image(cluster) == "orchestra/model:v2"
    assert kubectl("set", "env", "deploy/model", "GREETING=hi").returncode == 0
    assert kubectl("label", "deploy", "model", "tier=web").stdout.strip() == (
        "deployment.apps/model labeled"
    )
    assert kubectl("annotate", "deploy", "model", "note=x").returncode == 0
    meta = cluster.get("Deployment", "model")["metadata"]
    assert meta["labels"]["tier"] == "web" and meta["annotations"]["note"] == "x"
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    r = kubectl("patch", "deploy", "model", "--type", "json", "-p", json.dumps(ops))
    assert r.returncode == 0, r.stderr
    assert kubectl("patch", "deploy", "model", "--type", "merge", "-p",
                   '{"spec":{"minReadySeconds":1}}').returncode == 0  # fmt: skip
    spec = cluster.get("Deployment", "model")["spec"]
    assert spec["replicas"] == 3 and spec["minReadySeconds"] == 1
    bad = [{"op": "remove", "path": "/spec/nope"}]
    r = kubectl("patch", "deploy", "model", "--type", "json", "-p", json.dumps(bad))
    assert r.returncode == 1 and "/spec/nope" in r.stderr


def test_rollout_pause_resume_history_and_undo(served):
    cluster, kubectl = served
    assert kubectl("rollout", "pause", "deploy/model").returncode == 0
    kubectl("set", "image", "deploy/model", "model=orchestra/model:v2")
    cluster.sleep(5)
    assert len(cluster.list_objects("ReplicaSet")) == 1  # paused: no new ReplicaSet
    assert kubectl("rollout", "resume", "deploy/model").returncode == 0
    cluster.wait_rollout("model")
    history = kubectl("rollout", "history", "deploy/model").stdout
    assert history.split()[1:3] == ["REVISION", "CHANGE-CAUSE"] and "2 " in history
    r = kubectl("rollout", "undo", "deploy/model")
    assert r.stdout.strip() == "deployment.apps/model rolled back", r.stderr
    cluster.wait_rollout("model")
    assert image(cluster) == "orchestra/model:v1"
    assert kubectl("rollout", "restart", "deploy/model").returncode == 0
    template = cluster.get("Deployment", "model")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]


def test_drain_refuses_bare_pods_and_waits_on_the_budget(served):
    cluster, kubectl = served
    cluster.delete("HorizontalPodAutoscaler", "model")  # three replicas stay: room to evict
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
                   "spec": {"containers": [{"name": "c", "image": "orchestra/model:v1"}]}})  # fmt: skip
    cluster.sleep(5)
    node = cluster.get("Pod", "bare")["spec"]["nodeName"]
    flags = ("--ignore-daemonsets", "--delete-emptydir-data", "--timeout=50s")
    r = kubectl("drain", node, *flags)
    assert r.returncode == 1 and "cannot delete Pods that declare no controller" in r.stderr
    stop, thread = moving_clock(cluster)
    try:
        r = kubectl("drain", node, *flags, "--force")
    finally:
        stop.set()
        thread.join()
    assert r.returncode == 0, r.stderr
    assert "pod/bare evicted" in r.stdout
    assert cluster.get("Node", node)["spec"]["unschedulable"] is True
    assert kubectl("uncordon", node).stdout.strip() == f"node/{node} uncordoned"


def test_logs_top_and_events_sorted(served):
    cluster, kubectl = served
    cluster.sleep(40)  # two metrics-server scrapes
    r = kubectl("logs", "deploy/model")
    assert r.returncode == 0 and "Uvicorn running on http://0.0.0.0:8080" in r.stdout, r.stderr
    assert "INFO model v1 ready" in r.stdout
    top = kubectl("top", "pods")
    assert top.returncode == 0 and top.stdout.split()[:3] == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert len(top.stdout.splitlines()) == 1 + len(cluster.list_objects("Pod"))
    assert kubectl("top", "nodes").stdout.split()[:2] == ["NAME", "CPU(cores)"]
    r = kubectl("get", "events", "--sort-by=.lastTimestamp")
    assert r.returncode == 0 and r.stdout.split()[:3] == ["LAST", "SEEN", "TYPE"]


def test_edit_with_an_editor_script(served, tmp_path):
    cluster, kubectl = served
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/replicas: [0-9]*/replicas: 4/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    os.environ["KUBE_EDITOR"] = str(editor)
    try:
        r = kubectl("edit", "deploy/model")
    finally:
        del os.environ["KUBE_EDITOR"]
    assert r.stdout.strip() == "deployment.apps/model edited", r.stderr
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 4


def test_what_is_not_modelled_is_named(served):
    _, kubectl = served
    r = kubectl("exec", "deploy/model", "--", "ls")
    assert r.returncode == 1 and "pods/exec is not modelled by the simulator" in r.stderr
