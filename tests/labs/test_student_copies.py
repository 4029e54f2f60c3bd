"""Students work in my-labs/: copies with no outputs (no answer, no build machine's table),
never overwritten by make lab, started over by make reset-labs without losing the old one."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("student_labs", ROOT / "tools" / "student_labs.py")
student_labs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_labs)


def _texts(nb) -> str:
    return "\n".join(
        str(o) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def test_the_committed_labs_show_answers_the_copies_do_not(tmp_path):
    """What the copies remove is there in labs/ (the solved run): the check's ✓ with the
    answer seen, the autosolve line, lab 00's doctor table."""
    solved = nbformat.read(ROOT / "labs" / "03_scale.ipynb", as_version=4)
    assert "ran the instructor's answer" in _texts(solved)
    assert "your answer 'Insufficient cpu'" in _texts(solved)
    written, _ = student_labs.copy_missing(out=tmp_path)
    assert {p.name for p in written} == {p.name for p in student_labs.labs()}
    for path in written:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), path
        assert "widgets" not in nb.metadata
        # The exercise cells are there, unanswered: the student's placeholder, not the answer.
        source = "\n".join(c.source for c in code)
        assert "LAB_AUTOSOLVE" not in _texts(nb) and 'Insufficient cpu"' not in source


def test_make_lab_never_overwrites_a_copy_and_names_an_outdated_one(tmp_path):
    student_labs.copy_missing(out=tmp_path)
    mine = tmp_path / "03_scale.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells[0].source += "\n\nmy notes"
    nbformat.write(nb, mine)
    os.utime(mine, (1, 1))  # older than labs/03: as if the lab changed after the copy
    written, outdated = student_labs.copy_missing(out=tmp_path)
    assert written == []
    assert outdated == [mine]
    assert "my notes" in mine.read_text()


def test_reset_starts_over_and_keeps_the_previous_copy(tmp_path):
    student_labs.copy_missing(out=tmp_path)
    mine = tmp_path / "05_roll_forward.ipynb"
    mine.write_text(mine.read_text().replace("## 2. A canary", "## 2. A canary (my notes)"))
    ((fresh, kept),) = student_labs.reset("05", out=tmp_path)
    assert fresh == mine and "my notes" not in mine.read_text()
    assert kept.parent == tmp_path / ".previous" and "my notes" in kept.read_text()
    assert len(student_labs.reset("0", out=tmp_path)) == len(student_labs.labs())
    with pytest.raises(SystemExit, match="no lab matches '42'"):
        student_labs.reset("42", out=tmp_path)


def test_the_copies_run_from_my_labs_like_the_labs_from_labs():
    """my-labs/ sits beside labs/: the notebooks' relative paths resolve the same."""
    assert student_labs.MY_LABS.parent == student_labs.LABS.parent
    assert (student_labs.MY_LABS / ".." / "cluster" / "manifests").resolve().is_dir()
