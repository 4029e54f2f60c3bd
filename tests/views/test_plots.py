"""The plot functions: trace names, bins, markers, and the failure table's arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.core.traffic import RESULT_COLUMNS
from helpers.views import plots
from helpers.views.figure import PLOTLY_MIMETYPE
from tests.views.fakecluster import FakeCluster


def rollout_results(seconds: int = 10, rps: int = 10, fail_from=4.0, fail_to=6.0):
    """v1 answers until the middle, v2 after; failures between fail_from and fail_to."""
    rows = []
    for i in range(seconds * rps):
        t = 100.0 + i / rps
        failed = fail_from is not None and 100 + fail_from <= t < 100 + fail_to
        version = "v1" if t < 100 + seconds / 2 else "v2"
        rows.append(
            (
                t,
                5.0 + (i % 10),
                not failed,
                503 if failed else 200,
                None if failed else version,
                None if failed else f"model-{version}",
            )
        )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


EVENTS = pd.DataFrame(
    [
        (103.2, "Normal", "deployment/model", "ScalingReplicaSet", "Scaled up replica set"),
        (103.5, "Normal", "pod/model-a", "Killing", "Stopping container model"),
        (103.6, "Normal", "pod/model-a", "Pulled", "Container image already present"),
        (107.0, "Warning", "node/worker-2", "NodeNotReady", "Node is not ready"),
        (500.0, "Normal", "pod/model-z", "Killing", "long after the run"),
    ],
    columns=["time", "type", "object", "reason", "message"],
)


def test_traffic_timeline_traces_bins_and_event_markers():
    fig = plots.traffic_timeline(rollout_results(), EVENTS)
    names = [t.name for t in fig.data]
    assert names == ["ok v1", "ok v2", "failed", "p50", "p95", "p99", "events"]
    ok_v1 = fig.data[0]
    assert len(ok_v1.x) == 10  # 10 s of traffic in 1 s bins
    assert list(fig.data[2].y) == [0, 0, 0, 0, 10, 10, 0, 0, 0, 0]  # failed requests/s
    assert fig.data[0].y[0] + fig.data[1].y[0] + fig.data[2].y[0] == 10
    markers = fig.data[-1]
    # Pulled is not notable; the 500 s event is outside the run; two events share bin 103.
    assert len(markers.x) == 2
    assert "ScalingReplicaSet" in markers.hovertext[0] and "Killing" in markers.hovertext[0]
    assert "NodeNotReady" in markers.hovertext[1]
    assert len([s for s in fig.layout.shapes if s.type == "line"]) == 4  # 2 lines x 2 panels


def test_traffic_timeline_latency_percentiles_per_bin():
    fig = plots.traffic_timeline(rollout_results(fail_from=None), bin_s=2.0)
    p50, p99 = fig.data[-3], fig.data[-1]
    assert len(p50.x) == 5
    # Each 2 s bin holds latencies 5..14 twice: median 9.5, p99 near the top.
    assert p50.y[0] == pytest.approx(9.5)
    assert 13.5 < p99.y[0] <= 14.0
    assert fig.data[0].y[0] == 10.0  # 20 requests in 2 s


def test_traffic_timeline_handles_no_requests():
    fig = plots.traffic_timeline(pd.DataFrame(columns=RESULT_COLUMNS).astype({"ok": bool}))
    assert [t.name for t in fig.data] == ["failed", "p50", "p95", "p99"]


def test_recorder_counts_cohorts_and_pods_per_version_plots_them():
    cluster = FakeCluster(replicas=2)
    with plots.Recorder(cluster, deployment="model") as rec:
        cluster.time = 1.0
        cluster.add_pod(
            {
                **cluster.pods_[sorted(cluster.pods_)[0]],
                "name": "model-b-00009",
                "version": "v2",
                "image": "orchestra/model:v2",
                "ready": False,
            }
        )
        cluster.time = 2.0
        cluster.set_pod("model-b-00009", ready=True)
        cluster.time = 3.0
        cluster.set_pod(sorted(cluster.pods_)[0].split("/")[1], status="Terminating")
    assert rec.counts() == {"v1": {"pods": 1, "ready": 1}, "v2": {"pods": 1, "ready": 1}}
    history = rec.history
    assert list(history.columns) == ["t", "version", "pods", "ready"]
    assert history.iloc[0].tolist() == [0.0, "v1", 2, 2]
    assert history[history["version"] == "v2"][["t", "ready"]].values.tolist() == [
        [1.0, 0],
        [2.0, 1],
    ]
    cluster.set_pod("model-b-00009", ready=False)  # after stop: not recorded
    assert len(rec.history) == len(history)
    fig = plots.pods_per_version(history)
    assert [t.name for t in fig.data] == ["v1 ready", "v1 pods", "v2 ready", "v2 pods"]
    assert fig.data[0].line.shape == "hv" and fig.data[0].x[-1] == 3.0


def test_failure_summary_counts_lost_requests_and_recovery():
    results = rollout_results(fail_from=4.0, fail_to=6.0)
    table = plots.failure_summary(results, {"rollout v2": 102.0, "nothing": 108.0})
    first, second = table.to_dict("records")
    assert first["fault"] == "rollout v2" and first["requests"] == 60
    assert first["lost"] == 20 and first["availability"] == pytest.approx(40 / 60, abs=1e-4)
    assert first["first_failure_s"] == pytest.approx(2.0)
    assert first["recovered_after_s"] == pytest.approx(4.0)  # first success at 106.0
    assert second["lost"] == 0 and second["recovered_after_s"] == 0.0
    quiet = plots.failure_summary(results, {"after the run": 500.0})
    assert quiet["requests"][0] == 0 and math.isnan(quiet["recovered_after_s"][0])
    never = plots.failure_summary(rollout_results(fail_from=8.0, fail_to=99), [(107.0, "kill")])
    assert math.isnan(never["recovered_after_s"][0])


def test_failure_summary_says_what_to_pass_when_faults_are_wrong():
    from helpers.errors import LabError

    with pytest.raises(LabError, match="columns t and what"):
        plots.failure_summary(rollout_results(), pd.DataFrame({"time": [1.0]}))


def test_compare_rollouts_success_rate_and_error_counts():
    naive, careful = rollout_results(), rollout_results(fail_from=None)
    fig = plots.compare_rollouts(naive, careful)
    assert [t.name for t in fig.data] == ["naive", "best practice", "failed requests"]
    assert list(fig.data[2].y) == [20, 0]
    assert fig.data[2].text == ("20 of 100", "0 of 100")
    assert np.allclose(fig.data[0].y, [100] * 4 + [0] * 2 + [100] * 4)
    assert fig.data[0].x[0] == 0.0  # each run starts at 0 s


def test_figures_carry_plotlys_mimetype_and_a_line_of_text_but_no_plotlyjs():
    import plotly.io as pio

    fig = plots.traffic_timeline(rollout_results())
    previous = pio.renderers.default
    pio.renderers.default = "plotly_mimetype"
    try:
        bundle = fig._repr_mimebundle_()
    finally:
        pio.renderers.default = previous
    # JupyterLab draws the mimetype with its own plotly.js; no HTML part carries (4.7 MB)
    # or fetches the library.
    assert set(bundle) == {PLOTLY_MIMETYPE, "text/plain"}
    assert bundle["text/plain"].startswith("Figure: requests per second / latency")
    assert len(str(bundle)) < 100_000
