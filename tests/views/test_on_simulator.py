"""ClusterView and the Recorder on the real simulator (skipped until helpers.sim lands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.views.conftest import RecordingComm

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "cluster" / "manifests"


@pytest.fixture
def cluster():
    import helpers

    with helpers.connect("sim", seed=0, workers=2) as c:
        c.apply(str(MANIFESTS / "model-deployment.yaml"))
        c.apply(str(MANIFESTS / "model-service.yaml"))
        c.wait_rollout("model", timeout=300)
        yield c


def test_clusterview_follows_a_rolling_update_in_few_messages(cluster):
    """A rolling update replaces v1 pods by v2 pods, never below replicas - maxUnavailable
    (kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment)."""
    from helpers.views.clusterview import ClusterView
    from helpers.views.recorder import Recorder

    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    state = view.state
    assert state["header"]["title"] == "simulated cluster"
    assert len(state["nodes"]) == 3
    pods = [p for p in state["pods"].values() if p["owner"] == "model"]
    assert len(pods) == 3 and all(p["state"] == "Ready" and p["endpoint"] for p in pods)
    with Recorder(cluster, deployment="model") as rec:
        cluster.set_image("model", "orchestra/model:v2")
        cluster.wait_rollout("model", timeout=600)
    view.flush()
    view.stop()
    # Every change of the whole rollout reached the browser as one patch (virtual time).
    assert len(view.comm.patches()) == 1
    final = [p for p in view.state["pods"].values() if p["owner"] == "model"]
    assert sorted(p["version"] for p in final if p["state"] == "Ready") == ["v2"] * 3
    history = rec.history
    v1_ready = history[history["version"] == "v1"]["ready"]
    assert v1_ready.iloc[-1] == 0 and v1_ready.min() >= 0
    assert rec.counts()["v2"] == {"pods": 3, "ready": 3}


def test_a_broken_release_shows_not_ready_chips_then_a_stuck_rollout(cluster):
    """v3 pods never pass their readiness probe, so they stay out of the endpoints
    (kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/); past
    progressDeadlineSeconds (120 s in our manifest) the rollout reports
    ProgressDeadlineExceeded (kubernetes.io/docs/concepts/workloads/controllers/deployment/
    #failed-deployment)."""
    from helpers.views.clusterview import ClusterView

    with ClusterView(cluster, background=False) as view:
        cluster.set_image("model", "orchestra/model:v3")
        cluster.sleep(60)
        view.flush()
        state = view._model.state
        v3 = [p for p in state["pods"].values() if p["version"] == "v3"]
        assert v3 and all(p["state"] == "NotReady" and not p["endpoint"] for p in v3)
        assert state["deployments"]["default/model"]["verdict"] == "progressing"
        assert {p["version"] for p in state["pods"].values() if p["endpoint"]} == {"v1"}
        cluster.sleep(90)
        view.flush()
        assert view._model.state["deployments"]["default/model"]["verdict"] == "stuck"
