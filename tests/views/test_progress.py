"""Progress lines and the rollout watcher, outside a notebook (plain text) and inside one."""

from __future__ import annotations

import io
import threading

import pytest

from helpers.errors import RolloutStuck
from helpers.views.progress import Progress, RolloutBar, watch_rollout
from tests.views.fakecluster import FakeCluster, deployment_row


def test_text_progress_prints_a_line_per_step_and_per_ten_percent():
    out = io.StringIO()
    progress = Progress("build", notebook=False, stream=out)
    progress("pulling base image", None)
    for i in range(101):
        progress("building orchestra/model:v1", i / 100)
    progress.done()
    lines = out.getvalue().splitlines()
    assert lines[0] == "build: pulling base image"
    assert lines[1] == "build:   0% building orchestra/model:v1"
    assert len(lines) == 1 + 11 + 1  # 0 %, 10 %, ..., 100 %, then "done"
    assert lines[-1] == "build: 100% done"


def test_text_progress_rate_limits_new_steps_but_not_progress():
    out, now = io.StringIO(), [0.0]
    progress = Progress(notebook=False, stream=out, clock=lambda: now[0])
    for i in range(50):  # an image build reports every log line as a step
        progress(f"Step {i}/50", None)
    assert out.getvalue().splitlines() == ["Step 0/50"]
    now[0] = 1.5
    progress("Step 50/50", None)
    progress("exporting layers", 0.9)  # progress shows at once
    progress.fail("build failed: no space left on device")
    assert out.getvalue().splitlines()[1:] == [
        "Step 50/50",
        "90% exporting layers",
        "90% build failed: no space left on device",
    ]


def test_text_progress_never_prints_from_a_background_thread():
    out = io.StringIO()
    progress = Progress(notebook=False, stream=out)
    worker = threading.Thread(target=progress, args=("loading images", 0.5))
    worker.start()
    worker.join()
    assert out.getvalue() == ""
    assert (progress.step, progress.fraction) == ("loading images", 0.5)
    progress("loading images", 0.55)  # the main thread catches up
    assert out.getvalue() == "55% loading images\n"


def test_notebook_progress_sets_widget_values():
    progress = Progress("cluster", notebook=True)
    progress("creating nodes", 0.25)
    assert progress._bar.value == 0.25 and progress._label.value == "creating nodes"
    progress("waiting for the API server", None)
    assert progress._bar.bar_style == "info"
    progress.fail("kind create cluster failed")
    assert progress._bar.bar_style == "danger"


def test_watch_rollout_returns_the_state_and_prints_the_bar(capsys):
    cluster = FakeCluster(replicas=3)
    state = watch_rollout(cluster, "model", timeout=10, notebook=False)
    assert state.state == "complete"
    out = capsys.readouterr().out
    assert "deployment/model v1: desired 3 · updated 3 · available 3 · total 3" in out
    assert 'deployment "model" successfully rolled out' in out
    assert cluster._subscribers == []  # unsubscribed


def test_watch_rollout_reraises_a_stuck_rollout_and_shows_it():
    # A new pod in ImagePullBackOff ends the wait early with that reason
    # (kubernetes.io/docs/concepts/containers/images/#imagepullbackoff).
    cluster = FakeCluster(replicas=3)
    cluster.deployments_["default/model"] = deployment_row(
        replicas=3, updated=1, available=3, total=4, version="v3"
    )
    cluster.add_pod(
        {
            **next(iter(cluster.pods_.values())),
            "name": "model-9a9a9-zzzzz",
            "image": "orchestra/model:v3",
            "status": "ImagePullBackOff",
            "ready": False,
        }
    )
    bar = RolloutBar("model", notebook=True)
    with pytest.raises(RolloutStuck) as err:
        watch_rollout(cluster, "model", timeout=10, bar=bar)
    assert err.value.reason == "ImagePullBackOff"
    assert "cv-verdict-stuck" in bar.widget.value and "ImagePullBackOff" in bar.widget.value
    assert cluster._subscribers == []


def test_watch_rollout_bar_follows_deployment_changes():
    cluster = FakeCluster(replicas=2)
    bar = RolloutBar("model", notebook=True)
    original = cluster.wait_rollout
    during = []

    def wait_rollout(name, timeout, namespace):
        cluster.patch("Deployment", "model", {"spec": {"replicas": 4}})  # a change arrives
        during.append(bar.widget.value)
        return original(name, timeout=timeout, namespace=namespace)

    cluster.wait_rollout = wait_rollout
    state = watch_rollout(cluster, "model", bar=bar)
    assert state.desired == 4
    assert "desired 4" in during[0] and "rolling out" in during[0]
    assert "successfully rolled out" in bar.widget.value
    assert "cv-verdict-complete" in bar.widget.value
