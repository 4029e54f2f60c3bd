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


def shown(path: Path, fallback: str | Path | None = None) -> str:
    """``path`` as a student reads it: relative to the working folder (the notebook's)
    when inside it, else ``fallback`` (default: ``path`` itself), so outputs carry no
    machine's absolute path when a relative name exists."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path if fallback is None else fallback)
