"""Where the kit's own files are: the repository root and its data folders.

The helpers run from a source checkout (``pip install -e .``), so the course's manifests,
kind config and lab solutions are read from the repository beside the package.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "cluster" / "manifests"
SOLUTIONS = REPO / "labs" / "solutions"
LAB_SOURCES = REPO / "labs" / "src"  # the labs as Markdown; the notebooks are built from them
BIN_DIR = REPO / "bin"
