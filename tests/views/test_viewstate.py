"""The pure functions from snapshot rows to what ClusterView draws, one state at a time."""

from __future__ import annotations

import pytest

from helpers.views.viewstate import (
    EVENTS_SHOWN,
    UNSCHEDULED,
    deployment_view,
    node_view,
    pod_state,
    pod_view,
    version_color,
    view_state,
)
from tests.views.fakecluster import FakeCluster, deployment_row, node_row, pod_row

# kubectl STATUS values and what a chip shows for them; Running splits on the Ready
# condition (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions).
CASES = [
    ({"status": "Pending", "ready": False, "node": None}, "Pending", False),
    ({"status": "ContainerCreating", "ready": False}, "ContainerCreating", False),
    ({"status": "Running", "ready": False}, "NotReady", False),
    ({"status": "Running", "ready": True}, "Ready", False),
    ({"status": "Terminating", "ready": False}, "Terminating", False),
    ({"status": "CrashLoopBackOff", "ready": False}, "CrashLoopBackOff", True),
    ({"status": "ImagePullBackOff", "ready": False}, "ImagePullBackOff", True),
    ({"status": "ErrImagePull", "ready": False}, "ErrImagePull", True),
    ({"status": "OOMKilled", "ready": False}, "OOMKilled", True),
    ({"status": "Evicted", "ready": False}, "Evicted", True),
]


@pytest.mark.parametrize(("fields", "state", "failed"), CASES, ids=[c[1] for c in CASES])
def test_each_pod_status_maps_to_one_chip_state(fields, state, failed):
    row = pod_row("model-7c9d5-abcde", **fields)
    view = pod_view(row)
    assert pod_state(row) == state
    assert view["state"] == state
    assert view["failed"] is failed
    assert view["short"] == "abcde"


def test_pending_pod_without_node_goes_to_the_unscheduled_lane():
    view = pod_view(pod_row("model-x-1", node=None, status="Pending", ready=False))
    assert view["node"] == UNSCHEDULED


def test_version_colours_are_distinct_and_stable_for_unknown_tags():
    assert len({version_color(v) for v in ("v1", "v2", "v3")}) == 3
    assert version_color("canary") == version_color("canary")
    assert version_color("canary") not in {version_color(v) for v in ("v1", "v2", "v3")}


@pytest.mark.parametrize(
    ("ready", "shown"), [("True", "Ready"), ("False", "NotReady"), ("Unknown", "Unknown")]
)
def test_node_readiness_is_the_ready_condition(ready, shown):
    # A node whose kubelet stopped reporting is Ready=Unknown
    # (kubernetes.io/docs/reference/node/node-status/#condition).
    assert node_view(node_row("w", ready=ready))["ready"] == shown


def test_cordoned_node_and_resource_bars():
    view = node_view(node_row("w", schedulable=False, cpu_requested=1.0, memory_requested=2**31))
    assert view["cordoned"] is True
    assert view["cpu"]["frac"] == 0.25
    assert view["cpu"]["text"] == "1.00 / 4 cores"
    assert view["memory"]["frac"] == 0.25
    over = node_view(node_row("w", cpu_requested=5.0))["cpu"]
    assert over["frac"] == 1.0 and over["over"] is True


def test_deployment_verdicts():
    assert deployment_view(deployment_row())["verdict"] == "complete"
    rolling = deployment_row(replicas=3, updated=1, available=3, total=4, version="v2")
    assert deployment_view(rolling)["verdict"] == "progressing"
    # Past progressDeadlineSeconds the Progressing condition says ProgressDeadlineExceeded
    # (kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment).
    stuck = deployment_row(
        updated=1,
        available=3,
        total=4,
        conditions={"Progressing": {"status": "False", "reason": "ProgressDeadlineExceeded"}},
    )
    assert deployment_view(stuck)["verdict"] == "stuck"


def test_view_state_header_says_simulated_or_names_the_context():
    sim = view_state(FakeCluster().snapshot())
    assert sim["header"]["title"] == "simulated cluster"
    real = view_state(FakeCluster(backend="kube", name="kind-orchestra").snapshot())
    assert real["header"]["title"] == "cluster kind-orchestra"


def test_view_state_marks_service_endpoints_from_services_too():
    cluster = FakeCluster(replicas=2)
    for row in cluster.pods_.values():
        row["endpoint"] = False
    first = sorted(cluster.pods_)[0]
    cluster.services_["default/model"]["endpoints"] = [first.split("/")[1]]
    state = view_state(cluster.snapshot())
    assert [k for k, p in state["pods"].items() if p["endpoint"]] == [first]


def test_view_state_keeps_the_latest_events_only():
    cluster = FakeCluster()
    for i in range(20):
        cluster.add_event("Killing", f"pod/p{i}", "Stopping container model")
    state = view_state(cluster.snapshot())
    assert len(state["events"]) == EVENTS_SHOWN
    assert state["events"][-1]["object"] == "pod/p19"
    assert [v["version"] for v in state["versions"]] == ["v1"]
