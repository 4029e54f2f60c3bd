"""Fixtures for the lab tests: simulated clusters with the course model deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpers
import helpers.lab

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "cluster" / "manifests"
NOTEBOOKS = sorted((ROOT / "labs").glob("[0-9][0-9]_*.ipynb"))
# 600 s per cell: the simulator's longest cell takes seconds; this only bounds a hang.
CELL_TIMEOUT_S = 600


def code_cells(path: Path) -> tuple:
    """(the notebook, its code cells with outputs cleared), cells meant to raise tagged so."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        cell.outputs = []
        if "NBVAL_RAISES_EXCEPTION" in cell.source:
            cell.metadata.setdefault("tags", []).append("raises-exception")
    return nb, code


def execute(nb) -> None:
    """Run ``nb`` in a fresh kernel from labs/; CellExecutionError on an unexpected error."""
    from nbclient import NotebookClient

    resources = {"metadata": {"path": str(ROOT / "labs")}}
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources=resources)
    client.execute()


def cell_text(cell) -> str:
    """A cell's printed and plain-text outputs, joined."""
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


@pytest.fixture
def sim():
    """An empty simulated cluster (seed 0), closed after the test."""
    cluster = helpers.lab.start("00_setup", backend="sim")
    yield cluster
    cluster.close()


@pytest.fixture
def deployed():
    """A simulated cluster with deployment/model (3 x v1) and service/model rolled out."""
    cluster = helpers.lab.start("03_scale", backend="sim")
    yield cluster
    cluster.close()


@pytest.fixture
def builtin_kubectl(monkeypatch):
    """helpers.lab.kubectl's own translation, even where a kubectl binary is installed."""
    monkeypatch.setenv("LAB_KUBECTL", "builtin")
