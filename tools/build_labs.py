"""Build the lab notebooks from their Markdown sources, and fill their outputs.

A source ``labs/src/NN_name.md`` is plain Markdown; each fenced block opened with
```` ```python ```` becomes one code cell, and the Markdown between code blocks becomes one
Markdown cell (use ```` ```py ```` for code that should stay in the text). Cell ids derive
from the lab and the cell's position, so rebuilding an unchanged source changes nothing.

    python tools/build_labs.py                 # write labs/NN_name.ipynb, no outputs
    python tools/build_labs.py --execute       # and run each on the simulator (outputs)
    python tools/build_labs.py --execute 03    # only labs whose name starts with 03

Execution uses LAB_BACKEND=sim and LAB_AUTOSOLVE=1 (the instructors' answers fill the
exercises), the kernel's working directory is labs/, and the result is refused if an
output holds a local absolute path, a kubeconfig or a token.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
LABS = REPO / "labs"
SOURCES = LABS / "src"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$\n?", re.MULTILINE | re.DOTALL)
# 600 s per cell: the longest simulated cell takes seconds; kind's node loss takes minutes.
CELL_TIMEOUT_S = 600
# What an output must never hold: this machine's paths, kubeconfig contents, tokens.
LEAKS = re.compile(
    r"(/home/|/Users/|/root/|/work/|/tmp/|C:\\\\Users|client-key-data|client-certificate-data"
    r"|certificate-authority-data|token=[0-9a-f]{16,}|Bearer\s+\S{20,})"
)


def cells_of(text: str, lab: str) -> list:
    """Split a Markdown source into notebook cells (ids stable per lab and position)."""
    cells, pos = [], 0
    for match in FENCE.finditer(text):
        prose = text[pos : match.start()].strip()
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        cells.append(nbformat.v4.new_code_cell(match.group(1).rstrip("\n")))
        pos = match.end()
    tail = text[pos:].strip()
    if tail:
        cells.append(nbformat.v4.new_markdown_cell(tail))
    for i, cell in enumerate(cells):
        cell["id"] = f"{lab.replace('_', '-')}-{i:03d}"
    return cells


def notebook_of(source: Path):
    """The notebook for one source file, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = cells_of(source.read_text(), source.stem)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def execute(nb, timeout: int = CELL_TIMEOUT_S):
    """Run a notebook top to bottom on the simulator in a fresh kernel (cwd: labs/)."""
    from nbclient import NotebookClient

    os.environ.update(LAB_BACKEND="sim", LAB_AUTOSOLVE="1")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(LABS)}},
        record_timing=False,  # timestamps would change every cell on every rebuild
    )
    client.execute()
    nb.metadata.pop("widgets", None)  # widget state is per run and large; the HTML stays
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


def leaks(nb) -> list[str]:
    """Outputs that hold a local path, kubeconfig field or token (empty when clean)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [
                v if isinstance(v, str) else "" for v in out.get("data", {}).values()
            ]
            texts += out.get("traceback", [])
            for text in texts:
                for match in LEAKS.finditer(text):
                    found.append(f"cell {i}: {match.group(0)!r}")
    return found


def build(prefix: str = "", run: bool = False) -> list[Path]:
    """Write every notebook whose name starts with ``prefix``; returns the paths written."""
    written = []
    for source in sorted(SOURCES.glob(f"{prefix}*.md")):
        nb = notebook_of(source)
        if run:
            nb = scrub(execute(nb))
            bad = leaks(nb)
            if bad:
                raise SystemExit(f"{source.name}: outputs leak {bad[:3]}; not written")
        target = LABS / f"{source.stem}.ipynb"
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", nargs="?", default="", help="e.g. 03 for labs/03_*.ipynb")
    parser.add_argument("--execute", action="store_true", help="run on the simulator")
    args = parser.parse_args(argv)
    for path in build(args.prefix, args.execute):
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
