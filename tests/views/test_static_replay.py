"""A saved notebook's picture carries the recording and the script that replays it."""

from __future__ import annotations

import base64
import gzip
import random
import re
from pathlib import Path

from helpers.views.clusterview import ClusterView
from helpers.views.statichtml import render_html
from helpers.views.staticreplay import MARK, embedded, replay_html, replay_script
from helpers.views.timeline import Timeline
from tests.views.conftest import RecordingComm
from tests.views.fakecluster import FakeCluster
from tests.views.test_timeline import PICTURE, churn, rollout_steps

ROOT = Path(__file__).resolve().parents[2]


def recorded_view(replicas: int = 3) -> ClusterView:
    cluster = FakeCluster(workers=2, replicas=replicas)
    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    cluster.time = 5.0
    rollout_steps(cluster, view)
    return view


def test_the_embedded_recording_decodes_to_what_at_t_says():
    view = recorded_view()
    view.stop()
    html = view.to_html()
    data = embedded(html)
    saved = Timeline.from_export(data)
    for t in (0.0, 5.0, 6.0, 7.2, 9.0, 12.5, 50.0):
        assert {k: saved.at(t)[k] for k in PICTURE} == {k: view.at(t)[k] for k in PICTURE}
    # The script replays offline: no address, no import, no library.
    script = html.split(MARK)[1]
    assert "http" not in script and "import " not in script and "fetch(" not in script
    assert "DecompressionStream" in script and "</script" not in replay_script()
    code = re.search(r'class="cv-code">([^<]*)<', script).group(1)
    assert gzip.decompress(base64.urlsafe_b64decode(code)).decode() == replay_script()


def test_the_picture_is_unchanged_and_what_follows_it_is_ignored_by_nbval():
    view = recorded_view()
    html = view.to_html()
    assert html.startswith(render_html(view._model.state))
    sanitize = (ROOT / "labs" / "nbval-sanitize.cfg").read_text()
    pairs = re.findall("^regex: (.*)$\n^replace: (.*)$", sanitize, flags=re.MULTILINE)
    for regex, replace in pairs:  # as nbval applies them, to the saved and the new output
        html = re.sub(regex, replace, html)
    assert html == render_html(view._model.state)
    view.stop()


def test_a_long_recording_is_compacted_to_fit_the_page():
    cluster = FakeCluster(workers=4, replicas=40)
    view = ClusterView(cluster, background=False)
    view.comm = RecordingComm()
    churn(cluster, view, 600, random.Random(3))
    tail = replay_html(view.timeline, max_chars=20_000)
    packed = re.search(r'class="cv-rec">([^<]*)<', tail).group(1)
    assert len(packed) <= 20_000
    saved = Timeline.from_export(embedded(tail))
    assert len(saved) < len(view.timeline)  # older history thinned to fit
    now = cluster.time
    assert {k: saved.at(now)[k] for k in PICTURE} == {k: view.at(now)[k] for k in PICTURE}
    view.stop()
