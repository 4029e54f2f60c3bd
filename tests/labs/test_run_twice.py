"""Each notebook runs top to bottom twice in one kernel on the simulator ("Run All" twice),
and the second run's check and table outputs equal the first's (seed 0, virtual time)."""

from __future__ import annotations

import copy

import nbformat
import pytest

from tests.labs.conftest import NOTEBOOKS, cell_text, code_cells, execute


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_twice_in_one_kernel(path, monkeypatch):
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    nb, code = code_cells(path)
    twice = nbformat.v4.new_notebook(metadata=nb.metadata)
    twice.cells = code + [copy.deepcopy(c) for c in code]
    execute(twice)
    first, second = twice.cells[: len(code)], twice.cells[len(code) :]
    for a, b in zip(first, second, strict=True):
        if "NBVAL_IGNORE_OUTPUT" in a.source:
            continue
        assert cell_text(a) == cell_text(b), f"second run differs in:\n{a.source}"
