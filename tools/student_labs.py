"""Students' own copies of the labs: my-labs/NN_name.ipynb, outputs cleared, never overwritten.

The notebooks in labs/ carry the outputs of the instructors' solved run (nbval compares
against them in CI), which show the answers. A student works in my-labs/ instead (git
ignores it, so autosave never touches a tracked file): each copy has every output and
execution count cleared, so no exercise, check or machine-specific table (lab 00's doctor)
shows before the student runs it. my-labs/ sits beside labs/, so the notebooks' relative
paths (../cluster/manifests/...) work unchanged.

    python tools/student_labs.py            # copy the labs that have no copy yet (make lab)
    python tools/student_labs.py --reset 03 # start lab 03 over (make reset-labs LAB=03)

A reset keeps the previous copy in my-labs/.previous/ (NN_name.<UTC time>.ipynb): starting
over loses nothing. A lab whose labs/ notebook changed after the copy was made is named, with
the reset command, and left alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
MY_LABS = ROOT / "my-labs"


def student_copy(source: Path) -> nbformat.NotebookNode:
    """``source`` with every output, execution count and run-specific metadata removed."""
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)  # widget state of the solved run
    return nb


def labs(prefix: str = "", labs_dir: Path = LABS) -> list[Path]:
    """The lab notebooks labs/NN_*.ipynb whose number starts with ``prefix``."""
    return sorted(p for p in labs_dir.glob("[0-9][0-9]_*.ipynb") if p.name.startswith(prefix))


def copy_missing(labs_dir: Path = LABS, out: Path = MY_LABS) -> tuple[list[Path], list[Path]]:
    """Write a student copy of each lab that has none. Returns (written, outdated copies)."""
    out.mkdir(exist_ok=True)
    written, outdated = [], []
    for source in labs("", labs_dir):
        target = out / source.name
        if not target.exists():
            nbformat.write(student_copy(source), target)
            written.append(target)
        elif source.stat().st_mtime > target.stat().st_mtime and _differs(source, target):
            outdated.append(target)
    return written, outdated


def _differs(source: Path, target: Path) -> bool:
    """The lab's cells changed since the copy was made (its sources, not the student's)."""
    fresh = [c.source for c in student_copy(source).cells if c.cell_type == "markdown"]
    mine = [
        c.source for c in nbformat.read(target, as_version=4).cells if c.cell_type == "markdown"
    ]
    return fresh != mine


def reset(
    prefix: str, labs_dir: Path = LABS, out: Path = MY_LABS
) -> list[tuple[Path, Path | None]]:
    """Replace the copies of the labs matching ``prefix`` with fresh ones.

    Returns (new copy, where the previous copy was kept or None) per lab.

    Raises:
        SystemExit: no lab matches ``prefix``.
    """
    chosen = labs(prefix, labs_dir)
    if not chosen:
        raise SystemExit(f"no lab matches {prefix!r}: use a number such as 03 (ls labs/).")
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    done = []
    for source in chosen:
        target = out / source.name
        kept = None
        if target.exists():
            kept = out / ".previous" / f"{source.stem}.{stamp}.ipynb"
            kept.parent.mkdir(exist_ok=True)
            shutil.move(target, kept)
        nbformat.write(student_copy(source), target)
        done.append((target, kept))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", metavar="LAB", help="start these labs over: 03, or all")
    args = parser.parse_args(argv)
    if args.reset is not None:
        for target, kept in reset("" if args.reset == "all" else args.reset):
            where = f" (your previous copy: {kept.relative_to(ROOT)})" if kept else ""
            print(f"fresh copy: {target.relative_to(ROOT)}{where}")
        return 0
    written, outdated = copy_missing()
    for target in written:
        print(f"your copy: {target.relative_to(ROOT)}")
    for target in outdated:
        print(
            f"{target.name} changed in labs/ since your copy was made; to start it over "
            f"(your copy is kept): make reset-labs LAB={target.name[:2]}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
