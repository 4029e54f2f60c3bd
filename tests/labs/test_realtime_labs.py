"""Each notebook runs top to bottom on the simulator in realtime (LAB_SPEED=200), the
instructors' answers filled in, and every exercise check passes: waits, sleeps, traffic,
the HPA, chaos and node loss work on the clock thread as they do in virtual time.

200x keeps a lab to seconds; the outputs are not compared with the committed ones
(those are virtual time's): cluster time passes between cells here, as it does for a
person (README, "The simulator's clock").
"""

from __future__ import annotations

import nbformat
import pytest

from tests.labs.conftest import NOTEBOOKS, ROOT

SPEED = "200"
# 600 s per cell: a realtime lab cell takes seconds at 200x; this only bounds a hang.
CELL_TIMEOUT_S = 600


def _text(cell) -> str:
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_realtime_and_its_checks_pass(path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    monkeypatch.setenv("LAB_SPEED", SPEED)
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in nb.cells:
        cell.outputs = []
        if "NBVAL_RAISES_EXCEPTION" in cell.source:
            cell.metadata.setdefault("tags", []).append("raises-exception")
    probe = nbformat.v4.new_code_cell(
        "import helpers.lab.session as _s\nprint('mode:', repr(_s._current['cluster']))"
    )
    opens = next(i for i, c in enumerate(nb.cells) if "helpers.lab.start(" in c.source)
    nb.cells.insert(opens + 1, probe)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "labs")}},
    )
    client.execute()  # raises CellExecutionError on the first unexpected error
    assert f"realtime x{SPEED}" in _text(probe)
    checks = [c for c in nb.cells if c.source.lstrip().startswith("helpers.checks.")]
    for cell in checks:
        assert "✓" in _text(cell) and "✗" not in _text(cell), f"{cell.source}\n{_text(cell)}"
