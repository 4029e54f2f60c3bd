"""Each notebook runs top to bottom twice in one kernel on the simulator ("Run All" twice),
and the second run's check and table outputs equal the first's (seed 0, virtual time)."""

from __future__ import annotations

import copy

import nbformat
import pytest

from tests.labs.conftest import NOTEBOOKS, ROOT

# 600 s per cell: the simulator's longest cell takes seconds; this only bounds a hang.
CELL_TIMEOUT_S = 600


def _texts(cell) -> str:
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_twice_in_one_kernel(path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        cell.outputs = []
        if "NBVAL_RAISES_EXCEPTION" in cell.source:
            cell.metadata.setdefault("tags", []).append("raises-exception")
    twice = nbformat.v4.new_notebook(metadata=nb.metadata)
    twice.cells = code + [copy.deepcopy(c) for c in code]
    client = NotebookClient(
        twice,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "labs")}},
    )
    client.execute()  # raises CellExecutionError on the first unexpected error
    first, second = twice.cells[: len(code)], twice.cells[len(code) :]
    for a, b in zip(first, second, strict=True):
        if "NBVAL_IGNORE_OUTPUT" in a.source:
            continue
        assert _texts(a) == _texts(b), f"second run differs in:\n{a.source}"
