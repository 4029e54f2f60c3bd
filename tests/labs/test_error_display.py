"""A LabError in a notebook shows its message, the next step and the student's line, not a
40-line traceback through the simulator; helpers.errors.full_traceback() shows the rest."""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.labs.conftest import execute

ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = [
    'import helpers\ncluster = helpers.connect("sim")\ncluster.apply("../cluster/manifests/")',
    # An immutable field: the API server's own words (Deployment selector).
    'd = cluster.get("Deployment", "model")\n'
    'd["spec"]["selector"]["matchLabels"]["track"] = "x"\n'
    'd["spec"]["template"]["metadata"]["labels"]["track"] = "x"\n'
    "cluster.apply(d)",
    "helpers.errors.full_traceback()",
]


@pytest.mark.slow
def test_a_lab_error_renders_as_its_message_and_fix():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.cells[1].metadata["tags"] = ["raises-exception"]
    execute(nb)
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert error.ename == "ManifestError"
    shown = [ANSI.sub("", line) for line in error.traceback]
    assert len(shown) <= 5, shown
    assert shown[0].startswith("ManifestError: ") and "field is immutable" in shown[0]
    assert any(line.startswith("next: ") for line in shown)
    assert "in your cell, line 4: cluster.apply(d)" in shown
    assert not any("helpers/" in line for line in shown)  # no frames from the internals
    full = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "Traceback (most recent call last)" in full and "helpers/" in full


@pytest.mark.slow
def test_an_unanswered_exercise_stops_with_one_message(monkeypatch):
    """Run All with an exercise left as shipped stops there, with what to do, instead of
    failing in the check and every cell after it."""
    from helpers.lab.solutions import placeholder

    monkeypatch.delenv("LAB_AUTOSOLVE", raising=False)
    shipped = placeholder("03-scale-1")
    assert shipped and 'helpers.lab.exercise("03-scale-1")' in shipped
    answered = shipped.replace("# your command here", "x = 1")
    assert answered != shipped
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in ("import helpers.lab", shipped, answered)]
    )
    nb.cells[1].metadata["tags"] = ["raises-exception"]
    execute(nb)
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert "Exercise 03-scale-1 is not answered yet" in error.evalue
    assert 'helpers.lab.reveal("03-scale-1")' in error.evalue
    assert not [o for o in nb.cells[2].outputs if o.output_type == "error"]
