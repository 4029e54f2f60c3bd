"""ClusterView's kernel side: traits, batched small patches, resync, stop and static HTML."""

from __future__ import annotations

import json

import pytest

from helpers.views.clusterview import ClusterView
from helpers.views.staticreplay import MARK
from tests.views.conftest import RecordingComm
from tests.views.fakecluster import FakeCluster, pod_row


def test_initial_state_trait_holds_nodes_pods_deployments(view, cluster):
    state = view.state
    assert state["seq"] == 0
    assert state["header"]["title"] == "simulated cluster"
    assert sorted(state["nodes"]) == ["control-plane", "worker-1", "worker-2"]
    assert len(state["pods"]) == 3
    assert all(p["state"] == "Ready" and p["endpoint"] for p in state["pods"].values())
    assert state["deployments"]["default/model"]["verdict"] == "complete"


def test_one_change_becomes_one_small_patch(view, cluster):
    name = sorted(cluster.pods_)[0].split("/")[1]
    # A crashing container: CrashLoopBackOff, not Ready, out of the endpoints
    # (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
    cluster.set_pod(name, status="CrashLoopBackOff", ready=False, endpoint=False, restarts=3)
    others = [k.split("/")[1] for k in cluster.pods_ if not k.endswith(name)]
    cluster.set_endpoints(others)
    patch = view.flush()
    assert patch["type"] == "patch" and patch["seq"] == 1
    assert list(patch["pods"]) == [f"default/{name}"]
    chip = patch["pods"][f"default/{name}"]
    assert (chip["state"], chip["failed"], chip["endpoint"]) == ("CrashLoopBackOff", True, False)
    assert "nodes" not in patch and "removed" not in patch
    assert view.comm.patches() == [patch]
    assert len(json.dumps(patch)) < len(json.dumps(view.state)) / 2


def test_a_burst_of_changes_is_coalesced_into_one_message(view, cluster):
    name = sorted(cluster.pods_)[0].split("/")[1]
    for i in range(1000):
        cluster.time = i * 0.01
        cluster.set_pod(name, status="Running", ready=i % 2 == 1, restarts=i)
    patch = view.flush()
    assert len(view.comm.patches()) == 1
    assert patch["pods"][f"default/{name}"]["restarts"] == 999
    assert patch["header"]["time"] == 10.0
    assert view.flush() is None  # nothing new: nothing sent


def test_added_and_deleted_pods(view, cluster):
    cluster.add_pod(pod_row("model-7c9d5-zzzzz", node=None, status="Pending", ready=False))
    victim = sorted(cluster.pods_)[0].split("/")[1]
    cluster.remove_pod(victim)
    patch = view.flush()
    assert patch["pods"]["default/model-7c9d5-zzzzz"]["node"] == ""
    assert patch["removed"] == [f"default/{victim}"]
    assert f"default/{victim}" not in view._model.state["pods"]
    assert len(view._model.state["pods"]) == 3


def test_node_states_reach_the_patch(view, cluster):
    cluster.set_node("worker-1", schedulable=False)
    cluster.stop_node("worker-2")
    patch = view.flush()
    assert patch["nodes"]["worker-1"]["cordoned"] is True
    assert patch["nodes"]["worker-2"]["ready"] == "Unknown"


def test_service_change_alone_moves_the_endpoint_ring(view, cluster):
    keys = sorted(cluster.pods_)
    cluster.set_endpoints([keys[0].split("/")[1]])
    for row in cluster.pods_.values():
        row["endpoint"] = False  # rows fall back to what the Service lists
    for key in keys:
        cluster.emit("Pod", "MODIFIED", key, cluster.pods_[key])
    view.flush()
    rings = {k: p["endpoint"] for k, p in view._model.state["pods"].items()}
    assert rings == {keys[0]: True, keys[1]: False, keys[2]: False}


def test_events_keep_the_last_eight(view, cluster):
    for i in range(12):
        cluster.add_event("Killing", f"pod/p{i}", "Stopping container model", "Normal")
    cluster.add_event("BackOff", "pod/p12", "Back-off restarting failed container", "Warning")
    patch = view.flush()
    assert len(patch["events"]) == 8
    assert patch["events"][-1]["reason"] == "BackOff"


def test_a_view_that_missed_a_patch_gets_the_full_state(view, cluster):
    cluster.scale("model", 5)
    view.flush()
    before = len(view.comm.states())
    view._handle_custom_msg({"type": "resync", "seq": 0}, [])
    states = view.comm.states()
    assert len(states) == before + 1
    assert states[-1]["seq"] == 1 and len(states[-1]["pods"]) == 5
    # A view that already holds the latest state is left alone.
    view._handle_custom_msg({"type": "hello", "seq": 1}, [])
    assert len(view.comm.states()) == before + 1


def test_stop_unsubscribes_and_leaves_the_last_picture(cluster):
    with ClusterView(cluster, background=False) as view:
        view.comm = RecordingComm()
        cluster.scale("model", 4)
    assert view.stopped
    assert view.state["stopped"] is True and len(view.state["pods"]) == 4
    cluster.scale("model", 6)  # no longer followed
    assert view.flush() is None
    html = view.to_html()
    assert html.count('class="cv-pod ') == 4 and "stopped following" in html


def test_saved_notebook_gets_html_next_to_the_widget(view):
    data, _ = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    assert html.count('class="cv-node ') == 3 and html.count('class="cv-pod ') == 3
    assert "simulated cluster" in html
    picture, replay = html.split(MARK)
    assert "<script" not in picture and "http" not in html  # the picture needs no script
    assert replay.count("<script") == 3  # the recording, the replay code, its loader


def test_background_thread_batches_within_the_interval(cluster):
    view = ClusterView(cluster, interval=0.05)
    view.comm = comm = RecordingComm()
    try:
        key = sorted(cluster.pods_)[0]
        for i in range(200):
            cluster.set_pod(key.split("/")[1], restarts=i)

        def shows_last(c):
            return any(p.get("pods", {}).get(key, {}).get("restarts") == 199 for p in c.patches())

        comm.wait_for(shows_last, timeout=5)
        # 200 changes in far less than 50 ms reach the browser in very few messages.
        assert len(comm.patches()) <= 3
    finally:
        view.stop()
    assert not view._thread.is_alive()


@pytest.mark.parametrize("backend", ["kube"])
def test_real_cluster_header_names_the_context(backend):
    with ClusterView(FakeCluster(backend=backend, name="kind-orchestra"), background=False) as v:
        assert v.state["header"]["title"] == "cluster kind-orchestra"
        assert "simulator" not in v.to_html().split(MARK)[0]


def test_wrong_arguments_say_what_to_pass():
    from helpers.errors import LabError

    with pytest.raises(LabError, match=r"helpers.connect\(\)"):
        ClusterView("sim")
    with pytest.raises(LabError, match="more than 0 s"):
        ClusterView(FakeCluster(), interval=0)


def test_close_also_unsubscribes(cluster):
    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    view.close()
    assert view.stopped and cluster._subscribers == []


def test_a_new_view_replaces_the_old_one_unless_told(cluster):
    old = ClusterView(cluster, background=False)
    kept = ClusterView(cluster, background=False, replace=False)
    assert not old.stopped
    new = ClusterView(cluster, background=False)
    assert old.stopped and kept.stopped and not new.stopped
    assert len(cluster._subscribers) == 1
    other = ClusterView(FakeCluster(), background=False)  # another cluster: left alone
    assert not new.stopped
    for view in (new, other):
        view.stop()
