"""What a saved notebook keeps: the widget's last picture and the figures (plotly mimetype).

Runs a small notebook in a real kernel (nbclient) and reads the outputs it would save.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # starts a kernel: a few seconds

CELLS = [
    f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
    "import helpers\nfrom tests.views.fakecluster import FakeCluster\n"
    "cluster = FakeCluster(workers=2, replicas=3)\nview = helpers.ClusterView(cluster)\nview",
    'cluster.scale("model", 5)\nview.stop()',
    "import pandas as pd\n"
    "results = pd.DataFrame({'t': [0.1, 0.5, 1.2], 'latency_ms': [5.0, 6.0, 7.0],\n"
    "    'ok': [True, False, True], 'status': [200, 503, 200], 'version': ['v1', None, 'v1'],\n"
    "    'pod': ['a', None, 'a']})\n"
    "helpers.plots.traffic_timeline(results)",
    "helpers.plots.compare_rollouts(results, results)",
]


def test_saved_notebook_keeps_the_last_picture_and_the_figures(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    widget_out = nb.cells[0].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in widget_out
    html = widget_out["text/html"]
    # stop() rewrote the output: 5 chips (after the scale-up), marked as stopped.
    assert html.count('class="cv-pod ') == 5 and "stopped following" in html
    first, second = (c.outputs[0]["data"] for c in nb.cells[2:4])
    assert "application/vnd.plotly.v1+json" in first and "application/vnd.plotly.v1+json" in second
    # No HTML part: plotly.js (about 4.7 MB) is never inlined, nor fetched from a CDN.
    assert "text/html" not in first and "text/html" not in second
    assert first["text/plain"].startswith("Figure: ")
