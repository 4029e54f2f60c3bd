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

from tests.labs.conftest import NOTEBOOKS, cell_text, code_cells, execute

SPEED = "200"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_realtime_and_its_checks_pass(path, monkeypatch):
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    monkeypatch.setenv("LAB_SPEED", SPEED)
    nb, code = code_cells(path)
    nb.cells = code
    probe = nbformat.v4.new_code_cell(
        "import helpers.lab.session as _s\nprint('mode:', repr(_s._current['cluster']))"
    )
    opens = next(i for i, c in enumerate(nb.cells) if "helpers.lab.start(" in c.source)
    nb.cells.insert(opens + 1, probe)
    execute(nb)
    assert f"realtime x{SPEED}" in cell_text(probe)
    checks = [c for c in nb.cells if c.source.lstrip().startswith("helpers.checks.")]
    for cell in checks:
        text = cell_text(cell)
        assert "✓" in text and "✗" not in text, f"{cell.source}\n{text}"
