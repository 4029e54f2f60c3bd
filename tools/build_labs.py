"""Build the lab notebooks from their jupytext sources, and fill their outputs.

A source ``labs/src/NN_name.md`` is a notebook in jupytext's Markdown format: each fenced
block opened with ```` ```python ```` is one code cell (metadata after the language, e.g.
```` ```python tags=["machine-specific"] ````), the Markdown between code blocks is one
Markdown cell; ```` ```py ````, ```` ```yaml ```` and ```` ```text ```` blocks stay in the
text (```` ```bash ```` would become a ``%%bash`` cell). jupytext parses; this file gives
the cells ids from the lab and the cell's position, runs the notebook and settles its
outputs, so rebuilding an unchanged source rewrites nothing, byte for byte.

    python tools/build_labs.py                 # write labs/NN_name.ipynb, no outputs
    python tools/build_labs.py --execute       # and run each on the simulator (outputs)
    python tools/build_labs.py --execute 05    # only labs whose name starts with 05

Execution uses LAB_BACKEND=sim, LAB_AUTOSOLVE=1 (the instructors' answers fill the
exercises), LAB_SPEED=virtual (virtual time, so outputs are the same on every run) and
PYTHONHASHSEED=0; the kernel's working directory is labs/. A result is
refused if an output holds a local absolute path, a kubeconfig or a token, or inlines a
JavaScript library (plotly.js is 4.7 MB; JupyterLab draws plotly's mimetype itself).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parent.parent
LABS = REPO / "labs"
SOURCES = LABS / "src"
FORMAT = "md"  # jupytext's Markdown format
# 600 s per cell: the longest simulated cell takes seconds; kind's node loss takes minutes.
CELL_TIMEOUT_S = 600
# What an output must never hold: this machine's paths, kubeconfig contents, tokens.
LEAKS = re.compile(
    r"(/home/|/Users/|/root/|/work/|/tmp/|C:\\\\Users|client-key-data|client-certificate-data"
    r"|certificate-authority-data|token=[0-9a-f]{16,}|Bearer\s+\S{20,})"
)
# A bundled library in an output: plotly.js opens with this banner (and weighs 4.7 MB).
LIBRARY = re.compile(r"\* plotly\.js v\d|\* plotly\.js \(|define\(\"plotly\"")
MAX_OUTPUT_CHARS = 200_000  # the largest lab output (a ClusterView picture) is about 20 kB
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Cells tagged so describe the machine that runs them (the doctor): their committed output
# is this note, so a rebuild elsewhere, or tomorrow, changes nothing.
MACHINE_SPECIFIC = "machine-specific"
MACHINE_NOTE = (
    "(Run this cell to see the doctor's report on your machine. The saved notebook keeps "
    "none: it would describe the machine that built the notebook.)\n"
)
KERNEL_ENV = {
    "LAB_BACKEND": "sim",
    "LAB_AUTOSOLVE": "1",
    "LAB_SPEED": "virtual",  # instant and identical every run (a person gets realtime)
    "PYTHONHASHSEED": "0",
}
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def cells_of(text: str, lab: str) -> list:
    """The cells of a jupytext Markdown source, with ids stable per lab and position."""
    cells = []
    for i, cell in enumerate(jupytext.reads(text, fmt=FORMAT).cells):
        new = (
            nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
        )
        cells.append(new(cell.source, metadata=dict(cell.metadata)))
        cells[-1]["id"] = f"{lab.replace('_', '-')}-{i:03d}"
    return cells


def notebook_of(source: Path):
    """The notebook for one source file, without outputs."""
    header = jupytext.read(source, fmt=FORMAT).metadata
    return nbformat.v4.new_notebook(
        cells=cells_of(source.read_text(), source.stem),
        metadata={
            "kernelspec": dict(header.get("kernelspec", KERNELSPEC)),
            "language_info": {"name": "python"},
        },
    )


def execute(nb, timeout: int = CELL_TIMEOUT_S):
    """Run a notebook top to bottom on the simulator in a fresh kernel (cwd: labs/)."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(LABS)}},
        record_timing=False,  # timestamps would change every cell on every rebuild
    )
    # labs/work/ holds the YAML copies an earlier (solved) run edited; the committed
    # outputs must show what a student's first run shows: the course's own files.
    shutil.rmtree(LABS / "work", ignore_errors=True)
    # The kernel's environment (ours is left alone): the simulator in virtual time, the
    # instructors' answers, and one set and dict order on every run.
    client.execute(env={**os.environ, **KERNEL_ENV})
    return nb


def _scrub(text: str) -> str:
    # Longest first: the repository usually lives under the home folder.
    for local, shown in ((str(REPO), "<repo>"), (str(Path.home()), "~")):
        text = text.replace(local, shown)
    return text


def scrub(nb):
    """Replace this machine's repository and home paths in outputs by <repo> and ~."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if isinstance(out.get("text"), str):
                out["text"] = _scrub(out["text"])
            for key, value in out.get("data", {}).items():
                if isinstance(value, str):
                    out["data"][key] = _scrub(value)
            if "traceback" in out:
                out["traceback"] = [_scrub(line) for line in out["traceback"]]
    return nb


def coalesce_streams(outputs: list) -> list:
    """Join consecutive outputs of the same stream (stdout, stderr) into one."""
    joined = []
    for out in outputs:
        last = joined[-1] if joined else None
        if (
            out.get("output_type") == "stream"
            and last is not None
            and last.get("output_type") == "stream"
            and last.get("name") == out.get("name")
        ):
            last["text"] += out["text"]
        else:
            joined.append(out)
    return joined


def settle(nb):
    """Make a run's outputs the same on every run and machine (what nbval compares stays).

    - Consecutive prints to one stream are one output: the kernel flushes on a timer, so
      a run may deliver ``print(a, "-", b)`` in one piece or in two.
    - A widget view is dropped where a picture (``text/html``) stands beside it: its
      model id is new on every run and its state is not saved, so JupyterLab could only
      say "model not found"; without it, JupyterLab shows the picture.
    - Cells tagged ``machine-specific`` keep a note instead of this machine's report.
    - The notebook keeps the kernel's language but not this machine's Python version,
      nor the widget state.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = coalesce_streams(cell.outputs)
        if MACHINE_SPECIFIC in cell.metadata.get("tags", []):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=MACHINE_NOTE)]
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]
    info = nb.metadata.get("language_info", {})
    nb.metadata = {
        "kernelspec": nb.metadata.get("kernelspec", KERNELSPEC),
        "language_info": {k: v for k, v in info.items() if k != "version"},
    }
    return nb


def _texts(out) -> list[str]:
    texts = [out.get("text", "")] + [
        v if isinstance(v, str) else "" for v in out.get("data", {}).values()
    ]
    return texts + out.get("traceback", [])


def leaks(nb) -> list[str]:
    """Outputs that hold a local path, kubeconfig field or token (empty when clean)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            for text in _texts(out):
                for match in LEAKS.finditer(text):
                    found.append(f"cell {i}: {match.group(0)!r}")
    return found


def bloat(nb) -> list[str]:
    """Outputs that inline a JavaScript library or are too large to commit (empty when fine)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            size = sum(len(t) for t in _texts(out))
            if size > MAX_OUTPUT_CHARS:
                found.append(f"cell {i}: {size} characters")
            if any(LIBRARY.search(t) for t in _texts(out)):
                found.append(f"cell {i}: an inlined plotly.js")
    return found


def write(nb, target: Path) -> bool:
    """Write the notebook unless the file already holds exactly it; True if written."""
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"
    if target.exists() and target.read_text() == text:
        return False
    target.write_text(text)
    return True


def build(prefix: str = "", run: bool = False, out: Path = LABS) -> list[Path]:
    """Write every notebook whose name starts with ``prefix``; returns the paths written.

    Example:
        >>> build("05", run=True)   # labs/05_roll_forward.ipynb, rewritten only if changed
    """
    sources = sorted(SOURCES.glob(f"{prefix}*.md"))
    if not sources:
        raise SystemExit(f"no lab source labs/src/{prefix}*.md")
    written = []
    for source in sources:
        nb = notebook_of(source)
        if run:
            nb = settle(scrub(execute(nb)))
            bad = leaks(nb) + bloat(nb)
            if bad:
                raise SystemExit(f"{source.name}: outputs {bad[:3]}; not written")
        target = out / f"{source.stem}.ipynb"
        if write(nb, target):
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", nargs="?", default="", help="e.g. 05 for labs/05_*.ipynb")
    parser.add_argument("--execute", action="store_true", help="run on the simulator")
    args = parser.parse_args(argv)
    written = build(args.prefix, args.execute)
    for path in written:
        print(f"wrote {path.relative_to(REPO)}")
    if not written:
        print("nothing rewritten: each notebook built is byte for byte the one in labs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
