"""Each notebook runs top to bottom twice in one kernel on the simulator ("Run All" twice),
and the second run's check and table outputs equal the first's (seed 0, virtual time), after
the same sanitizers nbval applies (labs/nbval-sanitize.cfg: ports, paths, helm's wall-clock
times)."""

from __future__ import annotations

import configparser
import copy
import re

import nbformat
import pytest

from tests.labs.conftest import NOTEBOOKS, ROOT, cell_text, code_cells, execute


def sanitizers() -> list[tuple[re.Pattern, str]]:
    """The (regex, replacement) pairs of labs/nbval-sanitize.cfg, as nbval reads them."""
    config = configparser.ConfigParser()
    config.read(ROOT / "labs" / "nbval-sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def sanitized(cell) -> str:
    text = cell_text(cell)
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    return text


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
        assert sanitized(a) == sanitized(b), f"second run differs in:\n{a.source}"
