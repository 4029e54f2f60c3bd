"""The README's taste of the API, on the real kind cluster: its roll-forward under traffic
loses no request and serves v2 before it ends (each request an independent user's
connection, so the Service spreads them over the new pods as they become Ready)."""

from __future__ import annotations

import re
from pathlib import Path

import helpers.lab

ROOT = Path(__file__).resolve().parents[2]


def test_readme_snippet_serves_v2_without_a_failed_request_on_kind(kube, monkeypatch):
    (snippet,) = re.findall(
        r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M
    )[:1]
    assert 'helpers.connect("sim")' in snippet
    monkeypatch.chdir(ROOT)
    helpers.lab.reset(kube)  # the course objects live in the default namespace
    namespace: dict = {}
    try:
        code = snippet.replace('helpers.connect("sim")', 'helpers.connect("kind")')
        exec(compile(code, "README.md", "exec"), namespace)  # our own docs, as a reader runs them
        summary = namespace["run"].summary()
        assert summary["failed"] == 0, summary
        assert summary["versions"].get("v2", 0) > 0, summary
    finally:
        cluster = namespace.get("cluster")
        if cluster is not None:
            helpers.lab.reset(cluster)
            cluster.close()
