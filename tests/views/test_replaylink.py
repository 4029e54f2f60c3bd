"""Figures and replay on one clock: a figure marks the replay's instant, or drives it."""

from __future__ import annotations

import pandas as pd

import helpers
from tests.views.test_timeline import rollout_steps

RESULTS = pd.DataFrame(
    {
        "t": [5.5, 6.5, 7.5, 8.5],
        "latency_ms": [5.0, 6.0, 70.0, 5.5],
        "ok": [True, True, True, True],
        "status": [200] * 4,
        "version": ["v1", "v1", "v2", "v2"],
        "pod": ["a", "a", "b", "b"],
    }
)


def test_mark_time_draws_the_replay_instant_across_the_figure():
    fig = helpers.plots.traffic_timeline(RESULTS)
    before = len(fig.layout.shapes)
    helpers.plots.mark_time(fig, 7.5)
    line = fig.layout.shapes[-1]
    assert len(fig.layout.shapes) == before + 1
    assert (line.x0, line.x1, line.yref, line.y0, line.y1) == (7.5, 7.5, "paper", 0, 1)
    assert fig.layout.annotations[-1].text == "replay 7.5 s"
    assert helpers.plots.mark_time(fig, None) is fig  # live: nothing to mark


def test_the_view_learns_where_the_slider_rests_and_can_move_it(view, cluster):
    cluster.time = 5.0
    rollout_steps(cluster, view)
    view._on_front_end(view, {"type": "cursor", "t": 7.2}, [])
    assert view.replay_time == 7.2
    # The slowest request, and the cluster at that instant (what a notebook would show).
    spike = float(RESULTS.sort_values("latency_ms")["t"].iloc[-1])
    pods = view.at(spike)["pods"].values()
    assert sorted((p["version"], p["state"]) for p in pods)[-1] == ("v2", "Ready")
    view.replay(spike)
    sent = [m["content"] for m in view.comm.messages if m.get("method") == "custom"]
    assert sent[-1] == {"type": "seek", "t": spike} and view.replay_time == spike
    view._on_front_end(view, {"type": "cursor", "t": None}, [])  # back to live
    assert view.replay_time is None


def test_link_replay_tags_the_figure_with_the_view(view):
    fig = helpers.plots.link_replay(helpers.plots.traffic_timeline(RESULTS), view)
    assert fig.layout.meta["clusterview"] == view._uid
