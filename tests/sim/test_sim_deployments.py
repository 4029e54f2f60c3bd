"""Deployment and ReplicaSet controllers against the documented behaviour.

https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/
"""

import re

import pytest

from helpers.errors import RolloutStuck
from helpers.sim import SimCluster
from helpers.sim.names import ALPHABET
from helpers.sim.replicasets import deletion_order
from tests.manifests import MANIFESTS, deployment
from tests.sim.simkit import pods_of


def rs_names(sim):
    return sorted(r["metadata"]["name"] for r in sim.list_objects("ReplicaSet"))


def test_names_follow_the_controllers_pattern(sim):
    """ReplicaSet <deployment>-<pod-template-hash>; pod <replicaset>-<5 chars>."""
    sim.apply(deployment(replicas=3))
    sim.wait_rollout("web")
    (rs,) = sim.list_objects("ReplicaSet")
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert set(h) <= set(ALPHABET)
    for pod in pods_of(sim):
        assert re.fullmatch(rf"web-{h}-[{ALPHABET}]{{5}}", pod["name"])
        assert pod["labels"]["pod-template-hash"] == h


def test_scaling_replicaset_event_wording(sim):
    sim.apply(deployment(replicas=3))
    sim.wait_rollout("web")
    (rs,) = rs_names(sim)
    msgs = [e["message"] for e in sim.event_rows() if e["reason"] == "ScalingReplicaSet"]
    assert msgs == [f"Scaled up replica set {rs} from 0 to 3"]


def test_rollout_records_revisions_and_undo_adopts_the_old_replicaset(sim):
    """Undo copies the old template back; that ReplicaSet takes the next revision.

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-back-a-deployment
    """
    sim.apply(deployment(replicas=3))
    sim.wait_rollout("web")
    sim.set_image("web", "orchestra/model:v2")
    sim.wait_rollout("web")
    revs = sim.revisions("web")
    assert sorted(revs) == [1, 2]
    first = revs[1]["metadata"]["name"]
    assert (
        sim.get("deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "2"
    )
    assert sim.rollout_undo("web") == 1
    sim.wait_rollout("web")
    revs = sim.revisions("web")
    assert sorted(revs) == [2, 3]
    assert revs[3]["metadata"]["name"] == first  # adopted, not a new ReplicaSet
    assert len(rs_names(sim)) == 2
    assert {p["version"] for p in pods_of(sim) if p["status"] == "Running"} == {"v1"}


def test_rolling_update_respects_default_surge_and_unavailability(sim):
    """25 % maxSurge rounded up, 25 % maxUnavailable rounded down: 4 replicas -> 5 / 3."""
    sim.apply(deployment(replicas=4))
    sim.wait_rollout("web")
    worst = {"total": 0, "available": 99}

    def watch(change):
        if change["kind"] == "Pod":
            pods = [p for p in sim.snapshot()["pods"] if p["status"] != "Terminating"]
            worst["total"] = max(worst["total"], len(pods))
            worst["available"] = min(worst["available"], sum(p["ready"] for p in pods))

    sim.subscribe(watch)
    sim.set_image("web", "orchestra/model:v2")
    sim.wait_rollout("web")
    assert worst["total"] == 5
    assert worst["available"] == 3


def test_recreate_stops_every_old_pod_before_starting_new_ones(sim):
    sim.apply(deployment(replicas=2, strategy={"type": "Recreate"}))
    sim.wait_rollout("web")
    overlap = []

    def watch(change):
        if change["kind"] == "Pod":
            versions = {p["version"] for p in sim.snapshot()["pods"]}
            overlap.append(versions == {"v1", "v2"})

    sim.subscribe(watch)
    sim.set_image("web", "orchestra/model:v2")
    sim.wait_rollout("web")
    assert not any(overlap)
    assert {p["version"] for p in pods_of(sim)} == {"v2"}


def test_broken_release_hits_the_progress_deadline_and_is_not_undone(sim):
    """v3 never becomes Ready: Progressing=False/ProgressDeadlineExceeded after 120 s (course manifest).

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
    """
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    sim.set_image("model", "orchestra/model:v3")
    start = sim.now()
    with pytest.raises(RolloutStuck) as err:
        sim.wait_rollout("model", timeout=600)
    assert err.value.reason == "ProgressDeadlineExceeded"
    assert 120 <= sim.now() - start <= 125
    status = sim.get("deployment", "model")["status"]
    progressing = {c["type"]: c for c in status["conditions"]}["Progressing"]
    assert progressing["status"] == "False"
    assert progressing["message"].endswith("has timed out progressing.")
    # Not undone: the template still says v3 and the v1 pods keep serving.
    assert sim.get("deployment", "model")["spec"]["template"]["spec"]["containers"][0][
        "image"
    ].endswith(":v3")
    assert status["availableReplicas"] == 3
    # A second revision: the way back is kubectl rollout undo (the default hint).
    assert "rollout_undo" in err.value.hint


def test_a_first_revision_that_never_turns_ready_points_at_the_manifest_not_undo(sim):
    """Nothing to undo at revision 1 (kubectl rollout undo: "no rollout history found"): a
    readiness probe on a port name the container does not declare errors on every period
    (Unhealthy events), the rollout passes its progress deadline, and the hint says to fix
    the manifest (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
    #failed-deployment)."""
    manifest = deployment(replicas=1, progressDeadlineSeconds=60)
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}}
    sim.apply(manifest)
    with pytest.raises(RolloutStuck) as err:
        sim.wait_rollout("web", timeout=300)
    assert err.value.reason == "ProgressDeadlineExceeded"
    assert "no earlier revision" in err.value.hint and "rollout_undo" not in err.value.hint
    assert "Unhealthy" in set(sim.events()["reason"])


def test_min_ready_seconds_delays_availability(sim):
    sim.apply(deployment(replicas=1, minReadySeconds=20))
    sim.wait(lambda c: any(p["ready"] for p in c.snapshot()["pods"]), 60, "a ready pod")
    assert sim.get("deployment", "web")["status"].get("availableReplicas", 0) == 0
    ready_at = sim.now()
    sim.wait(
        lambda c: c.get("deployment", "web")["status"].get("availableReplicas") == 1,
        60,
        "available",
    )
    assert sim.now() - ready_at == pytest.approx(20, abs=0.01)


@pytest.mark.parametrize("start", [0.7, 0.1, 1 / 3])
def test_min_ready_seconds_at_fractional_times_completes(start):
    """Availability is reached at exactly ready_since + minReadySeconds, even when the float
    subtraction would fall 1e-16 short (a regression: the controller re-queued forever).

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#min-ready-seconds
    """
    sim = SimCluster(seed=0)
    sim.sleep(start)
    sim.apply(MANIFESTS / "model-deployment.yaml")
    state = sim.wait_rollout("model", timeout=120)
    assert state.state == "complete" and state.available == state.desired


def test_status_fields_and_conditions_of_a_complete_rollout(sim):
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web")
    dep = sim.get("deployment", "web")
    status = dep["status"]
    assert status["observedGeneration"] == dep["metadata"]["generation"]
    for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        assert status[key] == 2
    assert "unavailableReplicas" not in status
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"


def test_revision_history_limit_deletes_the_oldest_idle_replicasets(sim):
    sim.apply(deployment(replicas=1, revisionHistoryLimit=1))
    for image in ("v2", "v1", "v2", "v1"):
        sim.set_image("web", f"orchestra/model:{image}")
        sim.wait_rollout("web")
    sim.sleep(60)
    assert len(rs_names(sim)) == 2  # the current one plus one old


def test_scale_down_deletes_not_ready_pods_first(sim):
    """ReplicaSet scale-down order: not Ready before Ready."""
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web")
    sim.scale("web", 3)
    sim.sleep(0.3)  # the new pod exists but its container has not started
    fresh = [p["name"] for p in pods_of(sim) if not p["ready"]]
    ready = {p["name"] for p in pods_of(sim) if p["ready"]}
    assert len(fresh) == 1 and len(ready) == 2
    sim.scale("web", 2)
    sim.sleep(0.1)
    assert {p["name"] for p in pods_of(sim)} == ready


def test_deletion_order_prefers_unscheduled_then_newer():
    class P:
        def __init__(self, name, node, ready, created, phase="Running"):
            self.name, self.node, self.is_ready, self.created = name, node, ready, created
            self.phase, self.meta, self.ready_since, self.restarts = phase, {}, 0.0, 0

    pods = [
        P("old", "n1", True, 1),
        P("new", "n2", True, 5),
        P("pending", None, False, 3, "Pending"),
    ]
    assert [p.name for p in deletion_order(pods)] == ["pending", "new", "old"]


def test_deleted_pod_is_replaced_by_the_replicaset(sim):
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web")
    victim = pods_of(sim)[0]["name"]
    sim.delete_pod(victim)
    sim.wait_rollout("web")
    sim.wait(lambda c: c.serving(victim) is None, 60, "the deleted pod to go")
    names = {p["name"] for p in pods_of(sim)}
    assert victim not in names and len(names) == 2
    created = [e["message"] for e in sim.event_rows() if e["reason"] == "SuccessfulCreate"]
    assert len(created) == 3


def test_scaling_mid_rollout_is_proportional(sim):
    """The documented example: 10 replicas (surge 3, unavailable 2) stuck on a bad image, scaled
    to 15: 3 more for the old ReplicaSet, 2 for the new.

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#proportional-scaling
    """
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    big = SimCluster(seed=0, workers=4)
    big.apply(deployment(replicas=10, strategy=strategy))
    big.wait_rollout("web")
    big.set_image("web", "orchestra/model:v9")
    big.sleep(30)
    sizes = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs["spec"]["replicas"]
        for rs in big.list_objects("ReplicaSet")
    }
    assert sizes == {"1": 8, "2": 5}
    big.scale("web", 15)
    big.sleep(1)
    sizes = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs["spec"]["replicas"]
        for rs in big.list_objects("ReplicaSet")
    }
    assert sizes == {"1": 11, "2": 7}
