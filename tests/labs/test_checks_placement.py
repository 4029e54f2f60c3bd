"""helpers.checks on placement: nodes, spreading, requests, Pending, drains, budgets, HPAs.

Kubernetes behaviour relied on: scheduling filters and the FailedScheduling message
(https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/), drains that respect
PodDisruptionBudgets (https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/).
"""

from __future__ import annotations

import helpers.lab
from helpers import checks
from tests.labs.conftest import MANIFESTS


def test_worker_count_right_and_wrong(sim):
    assert checks.worker_count(sim, 2)
    wrong = checks.worker_count(sim, 3)
    assert not wrong
    assert "role is 'worker'" in wrong.hint


def test_spread_passes_on_two_workers(deployed):
    result = checks.spread(deployed, "app=model", nodes=2)
    assert result
    assert "orchestra-worker, orchestra-worker2" in result.seen


def test_spread_fails_when_a_worker_is_cordoned(sim):
    """A cordoned node is filtered out by the scheduler (kube-scheduler docs)."""
    sim.cordon("orchestra-worker2")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    result = checks.spread(sim, "app=model", nodes=2)
    assert not result
    assert "cordoned" in result.hint


def test_spread_with_too_few_pods_says_scale_up(sim):
    result = checks.spread(sim, "app=model", nodes=2)
    assert not result
    assert "scale up" in result.hint


def test_requests_right_and_wrong(deployed):
    assert checks.requests(deployed, "model", cpu="100m", memory="128Mi")
    wrong = checks.requests(deployed, "model", cpu="250m")
    assert not wrong
    assert "kubectl set resources deployment/model --requests=cpu=250m" in wrong.hint


def test_pending_reason_reads_the_failed_scheduling_event(deployed):
    """A pod that fits nowhere stays Pending with a FailedScheduling event (scheduler docs)."""
    no_event = checks.pending_reason(deployed, "Insufficient cpu")
    assert not no_event and "no FailedScheduling event" in no_event.seen
    room = helpers.lab.room_for(deployed, cpu=0.1, memory=128 * 2**20)
    deployed.scale("model", 3 + room + 1)
    deployed.sleep(10)
    assert (deployed.pods()["status"] == "Pending").sum() == 1
    assert checks.pending_reason(deployed, "Insufficient cpu")
    assert checks.pending_reason(deployed, "  insufficient CPU ")
    wrong = checks.pending_reason(deployed, "no idea")
    assert not wrong
    assert "FailedScheduling" in wrong.hint
    half = checks.pending_reason(deployed, "Insufficient")
    assert not half and "whole reason" in half.hint
    counted = checks.pending_reason(deployed, "2 Insufficient cpu")
    assert not counted and "without the node count" in counted.hint
    other = checks.pending_reason(deployed, "Insufficient memory")
    assert not other and "not that resource" in other.hint


def test_pending_reason_for_the_workers_is_not_the_control_plane_taint(deployed):
    """The message counts nodes per filter: 1 node(s) had untolerated taint (the control
    plane), 2 Insufficient cpu (the workers). Exercise 03-scale-2 asks about the workers."""
    room = helpers.lab.room_for(deployed, cpu=0.1, memory=128 * 2**20)
    deployed.scale("model", 3 + room + 1)
    deployed.sleep(10)
    for answer in ("untolerated taint", "had untolerated taint"):
        taint = checks.pending_reason(deployed, answer)
        assert not taint, answer
        assert "control-plane node refused it" in taint.hint
    taint = "had untolerated taint(s)"
    assert checks.pending_reason(deployed, taint, nodes="any")
    assert not checks.pending_reason(deployed, taint)


def test_a_tainted_worker_makes_the_unnamed_taint_reason_the_workers():
    """Current schedulers do not name the taint: with a worker tainted too, "untolerated
    taint(s)" may be about the workers, so it is no longer taken for the control plane's."""

    class Nodes:  # the one thing the rule reads: each node's taints, as snapshot() rows
        def __init__(self, *taints):
            self.rows = [{"name": f"n{i}", "taints": t} for i, t in enumerate(taints)]

        def snapshot(self):
            return {"nodes": self.rows}

    reasons = ["had untolerated taint(s)", "Insufficient cpu"]
    control_plane = [f"{checks.placement.CONTROL_PLANE_TAINT}:NoSchedule"]
    rule = checks.placement._control_plane_reasons
    assert rule(Nodes(control_plane, [], []), reasons) == ["had untolerated taint(s)"]
    assert rule(Nodes(control_plane, ["gpu=yes:NoSchedule"], []), reasons) == []
    assert rule(Nodes(control_plane, ["gpu=yes:PreferNoSchedule"], []), reasons) == [
        "had untolerated taint(s)"
    ]
    named = ["had untolerated taint {node-role.kubernetes.io/control-plane: }"]
    assert rule(Nodes(control_plane, ["gpu=yes:NoSchedule"]), named) == named


# kube-scheduler's FitError as kind v1.36.1 printed it for lab 03 (the DRA PostFilter
# sentence before preemption), and as releases before it named the taint.
KIND_V1_36 = (
    "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new "
    "claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful "
    "for scheduling, 2 No preemption victims found for incoming pod."
)
OLDER = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/"
    "control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 "
    "Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
)


def test_scheduling_reasons_parse_the_scheduler_message():
    """https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/"""
    assert checks.placement.scheduling_reasons(KIND_V1_36) == [
        (1, "had untolerated taint(s)"),
        (2, "Insufficient cpu"),
    ]
    assert checks.placement.scheduling_reasons(OLDER) == [
        (1, "had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        (2, "Insufficient cpu"),
    ]


def test_drained_passes_after_a_drain_and_fails_before(deployed):
    before = checks.drained(deployed, "orchestra-worker")
    assert not before
    assert 'cluster.drain("orchestra-worker", ignore_daemonsets=True' in before.hint
    deployed.drain("orchestra-worker", ignore_daemonsets=True, delete_emptydir_data=True)
    assert checks.drained(deployed, "orchestra-worker")


def test_drained_unknown_node(deployed):
    result = checks.drained(deployed, "no-such-node")
    assert not result and "cluster.nodes()" in result.hint


def test_pdb_missing_wrong_and_right(deployed):
    missing = checks.pdb(deployed, "model", 2)
    assert not missing and "model-pdb.yaml" in missing.hint
    pdb = helpers.lab.read_manifest("model-pdb.yaml")
    pdb["spec"]["minAvailable"] = 1
    deployed.apply(pdb)
    wrong = checks.pdb(deployed, "model", 2)
    assert not wrong and "minAvailable: 2" in wrong.hint
    deployed.apply(MANIFESTS / "model-pdb.yaml")
    assert checks.pdb(deployed, "model", 2)


def test_hpa_missing_wrong_and_right(deployed):
    assert not checks.hpa(deployed, "model", 2, 10, 70)
    deployed.apply(MANIFESTS / "model-hpa.yaml")
    assert checks.hpa(deployed, "model", 2, 10, 70)
    wrong = checks.hpa(deployed, "model", 3, 8, 60)
    assert not wrong
    assert (
        wrong.hint
        == "Fix minReplicas, maxReplicas, averageUtilization in the manifest and apply it again."
    )


def test_hpa_declarative_reads_the_file_then_the_cluster(deployed, tmp_path, monkeypatch):
    """Exercise 03-scale-4 the declarative way: the file must say 3..8 at 60 % and be applied."""
    monkeypatch.chdir(tmp_path)
    manifest = helpers.lab.workdir() / "model-hpa.yaml"
    # The mistake: the cluster's HPA changed by command, the file left as the course's.
    deployed.apply(MANIFESTS / "model-hpa.yaml")
    patch = {"spec": {"minReplicas": 3, "maxReplicas": 8}}
    deployed.patch("HorizontalPodAutoscaler", "model", patch)
    result = checks.hpa(deployed, "model", 3, 8, 60, declarative=manifest)
    assert not result
    assert result.seen == "work/model-hpa.yaml says min=2, max=10, cpu target=70%"
    assert "Set minReplicas, maxReplicas, averageUtilization in work/model-hpa.yaml" in result.hint
    text = manifest.read_text()
    for old, new in (("minReplicas: 2", "minReplicas: 3"), ("maxReplicas: 10", "maxReplicas: 8"),
                     ("averageUtilization: 70", "averageUtilization: 60")):  # fmt: skip
        text = text.replace(old, new)
    manifest.write_text(text)
    result = checks.hpa(deployed, "model", 3, 8, 60, declarative=manifest)
    assert not result and "but the cluster differs from the file" in result.seen
    assert 'cluster.apply("work/model-hpa.yaml")' in result.hint
    deployed.apply(manifest)
    assert checks.hpa(deployed, "model", 3, 8, 60, declarative=manifest)


def test_placed_follows_a_node_selector(deployed):
    """nodeSelector filters nodes by label (assign-pod-node docs:
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)."""
    before = checks.placed(deployed, "app=model", "orchestra-worker2")
    assert not before and "also on orchestra-worker" in before.seen
    assert "nodeSelector" in before.hint
    helpers.lab.label_node(deployed, "orchestra-worker2", accelerator="gpu")
    patch = {"spec": {"template": {"spec": {"nodeSelector": {"accelerator": "gpu"}}}}}
    deployed.patch("deployment", "model", patch)
    assert checks.placed(deployed, "app=model", "orchestra-worker2")


def test_placed_shows_the_merged_node_selector_after_a_wrong_patch(deployed):
    """A merge patch merges maps (RFC 7386): a second nodeSelector patch keeps the first
    one's keys, so no node matches until the wrong key is removed with null."""
    helpers.lab.label_node(deployed, "orchestra-worker2", accelerator="gpu")
    deployed.patch(
        "deployment", "model", {"spec": {"template": {"spec": {"nodeSelector": {"gpu": "true"}}}}}
    )
    deployed.patch(
        "deployment",
        "model",
        {"spec": {"template": {"spec": {"nodeSelector": {"accelerator": "gpu"}}}}},
    )
    t0 = deployed.now()
    result = checks.placed(deployed, "app=model", "orchestra-worker2")
    assert not result
    assert deployed.now() - t0 < 15  # a wrong spec is named without the settling wait
    assert "nodeSelector {'gpu': 'true', 'accelerator': 'gpu'}" in result.seen
    assert "{'gpu': 'true'}" in result.hint and '"gpu": None' in result.hint
    deployed.patch(
        "deployment", "model", {"spec": {"template": {"spec": {"nodeSelector": {"gpu": None}}}}}
    )
    assert checks.placed(deployed, "app=model", "orchestra-worker2")


def test_placed_after_a_wrong_value_in_the_file_says_correct_it_and_apply_again(deployed, tmp_path):
    """Exercise 06-sched-1 done in work/model-gpu.yaml with a wrong value (GPU for gpu):
    label values are case-sensitive, no node matches; the hint names the file fix, and
    applying the corrected file replaces the selector (apply removes what it no longer
    sets; https://kubernetes.io/docs/reference/using-api/server-side-apply/)."""
    helpers.lab.label_node(deployed, "orchestra-worker2", accelerator="gpu")
    work = helpers.lab.workdir(tmp_path / "work")
    text = (work / "model-gpu.yaml").read_text()
    wrong = text.replace("    spec:\n", "    spec:\n      nodeSelector: {accelerator: GPU}\n", 1)
    (work / "model-gpu.yaml").write_text(wrong)
    deployed.apply(work / "model-gpu.yaml")
    result = checks.placed(deployed, "app=model", "orchestra-worker2")
    assert not result and "{'accelerator': 'GPU'}" in result.hint
    assert "work/model-gpu.yaml" in result.hint and "apply it again" in result.hint
    (work / "model-gpu.yaml").write_text(wrong.replace("GPU}", "gpu}"))
    deployed.apply(work / "model-gpu.yaml")
    assert checks.placed(deployed, "app=model", "orchestra-worker2")


def _spread_with_toleration(key: str) -> dict:
    spread = helpers.lab.one_per_node("model-spread", replicas=3)
    spread["spec"]["template"]["spec"]["tolerations"] = [
        {"key": key, "operator": "Exists", "effect": "NoSchedule"}
    ]
    return spread


def test_spread_catches_the_surge_trap_of_lab_06(sim):
    """Required anti-affinity with as many replicas as nodes: a rolling update's surge pod
    has no node (maxSurge 1, maxUnavailable 0), the rollout stalls while 3 old and new pods
    still cover 3 nodes (anti-affinity docs:
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity)."""
    sim.apply(helpers.lab.one_per_node("model-spread", replicas=3))
    sim.sleep(30)
    sim.apply(_spread_with_toleration("node-role.kubernetes.io/control-plane"))  # no delete
    result = checks.spread(sim, "app=model-spread", nodes=3)
    assert not result
    assert "1 Pending" in result.seen
    assert (
        "mid-rollout" in result.hint
        and 'cluster.delete("deployment", "model-spread")' in result.hint
    )


def test_spread_with_a_wrong_toleration_key_names_the_taint(sim):
    sim.apply(_spread_with_toleration("node-role.kubernetes.io/master"))
    result = checks.spread(sim, "app=model-spread", nodes=3)
    assert not result
    assert "untolerated taint" in result.hint and "node-role.kubernetes.io/master" in result.hint
    assert "cordoned" not in result.hint


def test_spread_passes_after_delete_and_apply(sim):
    sim.apply(helpers.lab.one_per_node("model-spread", replicas=3))
    sim.sleep(30)
    sim.delete("deployment", "model-spread")
    sim.apply(_spread_with_toleration("node-role.kubernetes.io/control-plane"))
    assert checks.spread(sim, "app=model-spread", nodes=3)
