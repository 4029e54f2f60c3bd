"""The recording behind replay: every change in order, the state at any time, a size bound."""

from __future__ import annotations

import copy
import random

import pytest

from helpers.views.clusterview import ClusterView
from helpers.views.timecodec import json_size
from helpers.views.timeline import Timeline
from tests.views.conftest import RecordingComm
from tests.views.fakecluster import FakeCluster, pod_row

PICTURE = ("header", "nodes", "pods", "deployments", "events", "versions")


def picture(state: dict) -> dict:
    """What a student sees of a view state (not its message counter or stopped flag)."""
    return copy.deepcopy({k: state[k] for k in PICTURE})


def rollout_steps(cluster: FakeCluster, view: ClusterView) -> dict[float, dict]:
    """A hand-made v1 -> v2 rollout, one step per second; the live picture after each."""
    seen = {view.state["header"]["time"]: picture(view.state)}
    olds = sorted(k.split("/")[1] for k in cluster.pods_)
    for i, old in enumerate(olds):
        cluster.time += 1.0
        name = f"model-8f1e2-v2n{i:02d}"
        cluster.add_pod(pod_row(name, node=None, version="v2", status="Pending", ready=False))
        cluster.set_pod(name, node="worker-1", status="ContainerCreating", endpoint=False)
        cluster.add_event("Scheduled", f"pod/{name}", f"Successfully assigned {name}")
        view.flush()
        seen[cluster.time] = picture(view._model.state)
        cluster.time += 1.0
        cluster.set_pod(name, status="Running", ready=True, endpoint=True)
        cluster.set_pod(old, status="Terminating", ready=False, endpoint=False)
        cluster.add_event("Killing", f"pod/{old}", "Stopping container model")
        view.flush()
        seen[cluster.time] = picture(view._model.state)
        cluster.time += 0.5
        cluster.remove_pod(old)
        view.flush()
        seen[cluster.time] = picture(view._model.state)
    return seen


@pytest.fixture
def recorded():
    cluster = FakeCluster(workers=2, replicas=3)
    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    cluster.time = 5.0
    seen = rollout_steps(cluster, view)
    yield view, seen
    view.stop()


def test_changes_are_kept_in_order_with_their_cluster_time(recorded):
    view, seen = recorded
    ops = view.timeline._ops
    assert [op[0] for op in ops] == sorted(op[0] for op in ops)
    # Three changes to one pod inside one flush are three operations, not one.
    first_v2 = view.timeline._s.ids["default/model-8f1e2-v2n00"]
    pod_ops = [op for op in ops if op[2] == first_v2 and op[1] in (0, 1)]
    assert [op[0] for op in pod_ops] == [6000, 6000, 7000]
    assert len(view.comm.patches()) == len(seen) - 1  # still one message per flush


def test_at_gives_the_state_at_between_and_before_recorded_times(recorded):
    view, seen = recorded
    for t, expected in seen.items():
        assert picture(view.at(t)) == expected, t
        later = view.at(t + 0.4)  # between two steps: the earlier picture, the later clock
        assert {k: later[k] for k in PICTURE[1:]} == {k: expected[k] for k in PICTURE[1:]}
        assert later["header"]["time"] == round(t + 0.4, 1)
    start = view.at(0.0)  # before the recording: its first picture
    assert {k: start[k] for k in PICTURE[1:]} == {k: seen[0.0][k] for k in PICTURE[1:]}
    mid = view.at(9.0)  # the second v2 pod is creating beside two Ready v1 pods
    states = sorted((p["version"], p["state"]) for p in mid["pods"].values())
    assert states == [
        ("v1", "Ready"),
        ("v1", "Ready"),
        ("v2", "ContainerCreating"),
        ("v2", "Ready"),
    ]


def test_the_newest_state_is_the_live_one(recorded):
    view, _ = recorded
    assert picture(view.at(view._model.state["header"]["time"])) == picture(view._model.state)
    assert [m["reason"] for m in view.timeline.markers()] == ["Killing"] * 3


def test_export_round_trips_and_increments_add_up_to_the_whole(recorded):
    view, seen = recorded
    data = view.timeline.export()
    assert json_size(data) <= view.timeline.size <= json_size(data) * 1.15  # a cheap estimate
    copy = Timeline.from_export(data)
    for t in [*seen, 3.0, 6.3, 99.0]:
        assert copy.at(t) == view.at(t)


def test_a_browser_gets_the_whole_recording_then_only_what_is_new():
    cluster = FakeCluster(workers=2, replicas=3)
    view = ClusterView(cluster, background=False)
    view.comm = comm = RecordingComm()
    view._on_front_end(view, {"type": "hello", "seq": 0}, [])  # a view renders
    rollout_steps(cluster, view)
    customs = [m["content"] for m in comm.messages if m.get("method") == "custom"]
    first = next(m for m in customs if m["type"] == "timeline")
    merged = {**first}
    for patch in comm.patches():
        inc = patch["rec"]
        assert inc["e"] == first["e"] and inc["s0"] == len(merged["s"])
        assert inc["o0"] == len(merged["o"])
        merged["s"], merged["o"] = merged["s"] + inc["s"], merged["o"] + inc["o"]
    assert merged["o"] == view.timeline.export()["o"]
    assert Timeline.from_export(merged).at(8.6) == view.at(8.6)
    view.stop()


def churn(cluster: FakeCluster, view: ClusterView, seconds: int, rng: random.Random) -> None:
    """Pods flapping, restarting, coming and going, nodes filling up: 10 changes a second."""
    keys = sorted(cluster.pods_)
    for second in range(seconds):
        for tick in range(10):
            cluster.time = round(second + tick / 10, 3)
            key = rng.choice(keys)
            row = cluster.pods_[key]
            cluster.set_pod(row["name"], ready=not row["ready"], restarts=row["restarts"] + 1)
        cluster.set_node("worker-1", cpu_requested=rng.randint(0, 40) / 10)
        probe = "Readiness probe failed: HTTP probe failed with statuscode: 503"
        cluster.add_event("Unhealthy", f"pod/{row['name']}", probe, "Warning")
        view.flush()


def test_compaction_keeps_keyframe_times_and_the_newest_state():
    bounded, reference = FakeCluster(workers=2, replicas=6), None
    small = ClusterView(bounded, background=False, max_recording_bytes=30_000)
    reference = ClusterView(bounded, background=False, replace=False, max_recording_bytes=10**9)
    for v in (small, reference):
        v.comm = RecordingComm()
    churn(bounded, small, 300, random.Random(0))
    reference.flush()
    timeline = small.timeline
    assert timeline.compactions >= 1 and timeline.size <= 30_000
    assert reference.timeline.compactions == 0
    assert picture(small.at(bounded.time)) == picture(reference.at(bounded.time))
    assert picture(small.at(bounded.time)) == picture(small._model.state)
    keyframes = [t for t in range(0, 300, 10) if t >= timeline.start]
    assert len(keyframes) > 5
    for t in keyframes:
        assert picture(small.at(t)) == picture(reference.at(t)), t
    # The notable events survive the thinning, as markers on the slider.
    kept = {m["message"] for m in timeline.markers()}
    assert {
        m["message"] for m in reference.timeline.markers() if m["time"] >= timeline.start
    } <= kept
    for v in (small, reference):
        v.stop()


def test_the_size_bound_holds_over_a_long_run_and_recording_never_fails():
    cluster = FakeCluster(workers=4, replicas=40)
    view = ClusterView(cluster, background=False, max_recording_bytes=50_000)
    view.comm = RecordingComm()
    rng = random.Random(1)
    sizes = []
    for _ in range(20):
        churn(cluster, view, 60, rng)
        sizes.append(view.timeline.size)
        assert json_size(view.timeline.export()) <= 50_000
    assert max(sizes) <= 50_000 and view.timeline.compactions > 3
    assert picture(view.at(cluster.time)) == picture(view._model.state)
    assert view.timeline.start > 0  # the oldest history was dropped, the newest kept
    # A browser that saw compaction gets the whole recording again, marked by its epoch.
    fulls = [p["rec"] for p in view.comm.patches() if "full" in p.get("rec", {})]
    assert fulls and fulls[-1]["full"]["e"] <= view.timeline.epoch
    view.stop()


def test_a_bound_smaller_than_the_first_picture_keeps_that_picture():
    cluster = FakeCluster(workers=2, replicas=30)
    with ClusterView(cluster, background=False, max_recording_bytes=500) as view:
        view.comm = RecordingComm()
        churn(cluster, view, 5, random.Random(2))
        assert picture(view.at(cluster.time)) == picture(view._model.state)


def test_a_view_made_without_recording_says_how_to_get_one():
    from helpers.errors import LabError

    cluster = FakeCluster()
    with ClusterView(cluster, background=False, record=False) as view:
        view.comm = RecordingComm()
        cluster.scale("model", 4)
        assert view.flush() is not None and "rec" not in view.comm.patches()[-1]
        with pytest.raises(LabError, match="record=False"):
            view.at(0.0)
        assert view.timeline is None and "cv-rec" not in view.to_html()
