"""The README's runnable snippets run: every ```python block, in order, in one namespace.

Blocks fenced as ```py are shown only (they need a real cluster)."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_blocks_run(monkeypatch, capsys):
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    assert blocks, "the README should show at least one runnable snippet"
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("LAB_BACKEND", "sim")
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # our own docs, run as a reader would
    out = capsys.readouterr().out
    assert "'failed': 0" in out  # the snippet's promise: a zero-downtime roll-forward
    namespace["cluster"].close()
    assert os.getcwd() == str(ROOT)
