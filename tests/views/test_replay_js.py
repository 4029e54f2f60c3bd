"""The browser's replay (clusterdraw.js, run by Node) draws what ``view.at(t)`` says.

Node stands in for the browser's JavaScript engine: the recording decoder and the Player
use no DOM. Skipped without ``node`` (the browser test covers the page itself).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.views.clusterview import ClusterView
from tests.views.conftest import RecordingComm
from tests.views.fakecluster import FakeCluster
from tests.views.test_timeline import PICTURE, churn, rollout_steps

DRAW = Path(__file__).resolve().parents[2] / "helpers" / "views" / "clusterdraw.js"
NODE = shutil.which("node")
# Play forward through the times, then back: both paths of Player.seek.
HARNESS = """
const data = JSON.parse(require("fs").readFileSync(0, "utf8"));
const rec = new Recording(data.rec);
const player = new Player(rec), out = [];
for (const t of [...data.times, ...[...data.times].reverse()]) {
  player.seek(Math.round(t * 1000));
  out.push(structuredClone(player.shown));
}
console.log(JSON.stringify({ out, marks: rec.marks.length, colors: rec.color("v9") }));
"""


@pytest.mark.skipif(NODE is None, reason="no node to run the front end's replay code")
def test_replay_in_javascript_matches_at_t_forward_and_back():
    cluster = FakeCluster(workers=2, replicas=3)
    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    cluster.time = 5.0
    rollout_steps(cluster, view)
    churn(cluster, view, 30, random.Random(0))
    times = [0.0, 5.0, 6.0, 6.5, 7.0, 9.0, 12.5, 20.0, 33.3, 99.0]
    data = {"rec": view.timeline.export(), "times": times}
    run = subprocess.run(
        [NODE, "-e", DRAW.read_text(encoding="utf-8") + HARNESS],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(run.stdout)
    for t, shown in zip([*times, *reversed(times)], result["out"], strict=True):
        want = view.at(t)
        assert {k: shown[k] for k in PICTURE} == {k: want[k] for k in PICTURE}, t
    assert result["marks"] == len(view.timeline.markers())
    from helpers.views.viewstate import version_color

    assert result["colors"] == version_color("v9")  # crc32 as zlib computes it
    view.stop()
