"""Exercises and their instructor solutions, kept out of the students' way.

An exercise cell starts with ``helpers.lab.exercise("03-scale-1")`` and is otherwise the
student's to fill. For a student that line does nothing. With ``LAB_AUTOSOLVE=1`` (set by
the instructors' CI) it runs the instructor's answer from ``labs/solutions/03_scale.py``
in the notebook's namespace, so the next cell's check passes and nbval can compare it.

A solution file holds one section per exercise, each opened by a ``# %% <id>`` line::

    # %% 03-scale-1
    cluster.scale("model", 5)
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

from helpers.core.paths import LAB_SOURCES, SOLUTIONS
from helpers.errors import LabError

AUTOSOLVE_ENV = "LAB_AUTOSOLVE"
_ID = re.compile(r"^(\d\d)-[a-z0-9-]+$")
_SECTION = re.compile(r"^# %% (\S+)\s*$", re.MULTILINE)


def autosolve() -> bool:
    """True when ``LAB_AUTOSOLVE=1``: exercises fill in the instructor's answers."""
    return os.environ.get(AUTOSOLVE_ENV) == "1"


def solutions_of(lab_number: str, folder: Path = SOLUTIONS) -> dict[str, str]:
    """Every solution of one lab, by exercise id (``{"03-scale-1": "cluster.scale(...)"}``)."""
    files = sorted(folder.glob(f"{lab_number}_*.py"))
    if not files:
        return {}
    text = files[0].read_text()
    parts = _SECTION.split(text)
    # parts: [preamble, id1, body1, id2, body2, ...]
    return {parts[i]: parts[i + 1].strip() + "\n" for i in range(1, len(parts) - 1, 2)}


def solution_code(exercise_id: str) -> str:
    """The instructor's code for an exercise; LabError when there is none."""
    match = _ID.match(exercise_id or "")
    if not match:
        raise LabError(
            f"{exercise_id!r} is not an exercise id.", 'Ids look like "03-scale-1" (lab-topic-n).'
        )
    code = solutions_of(match.group(1)).get(exercise_id)
    if code is None:
        raise LabError(
            f"No instructor solution for exercise {exercise_id}.",
            f"Add a '# %% {exercise_id}' section to labs/solutions/{match.group(1)}_*.py.",
        )
    return code


def _namespace(depth: int = 2) -> dict:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    return inspect.stack()[depth].frame.f_globals


def exercise(exercise_id: str) -> None:
    """Mark an exercise cell; under ``LAB_AUTOSOLVE=1`` run the instructor's answer.

    Example:
        >>> helpers.lab.exercise("03-scale-1")   # a student's answer follows this line
    """
    if not _ID.match(exercise_id or ""):
        raise LabError(
            f"{exercise_id!r} is not an exercise id.", 'Ids look like "03-scale-1" (lab-topic-n).'
        )
    if autosolve():
        # Students' copies may ship without labs/solutions/: only CI needs the answers.
        code = solution_code(exercise_id)
        exec(compile(code, f"<solution {exercise_id}>", "exec"), _namespace())
        print(f"[{AUTOSOLVE_ENV}=1] ran the instructor's answer to {exercise_id}")
        return
    cell = _running_cell()
    if cell is not None and _same_code(cell, placeholder(exercise_id)):
        # Stop here with one message, rather than let the check and every later cell fail
        # on an answer that is not there (Run All stops at the first error).
        raise LabError(
            f"Exercise {exercise_id} is not answered yet: this cell still holds its placeholder.",
            "Write your answer above the exercise line and run the cell again. Stuck? "
            f'helpers.lab.reveal("{exercise_id}") shows the instructors\' answer.',
        )


def placeholder(exercise_id: str, folder: Path = LAB_SOURCES) -> str | None:
    """The exercise cell as the lab ships it (from labs/src/NN_*.md), or None if not found."""
    match = _ID.match(exercise_id or "")
    files = sorted(folder.glob(f"{match.group(1)}_*.md")) if match else []
    if not files:
        return None
    marker = f'helpers.lab.exercise("{exercise_id}")'
    for block in re.findall(r"^```python\n(.*?)^```", files[0].read_text(), re.S | re.M):
        if marker in block:
            return block
    return None


def _running_cell() -> str | None:
    """The source of the notebook cell running now (IPython only), or None."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        return None
    history = getattr(shell, "user_ns", {}).get("_ih") if shell is not None else None
    return history[-1] if history else None


def _same_code(a: str, b: str | None) -> bool:
    """Equal but for blank lines and trailing spaces (what an untouched cell differs by)."""
    if b is None:
        return False

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    return lines(a) == lines(b)


def reveal(exercise_id: str):
    """Show the instructor's answer (for when you are stuck; try first!).

    Example:
        >>> helpers.lab.reveal("03-scale-1")
    """
    from IPython.display import Markdown

    return Markdown(f"```python\n{solution_code(exercise_id)}```")
