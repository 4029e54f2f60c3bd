"""The lab notebooks' shape: numbered, goals and time first, thin cells, kubectl twins,
docs links, exercises with solutions and checks, a cleanup, clean and small committed
outputs; and their builder (jupytext sources, deterministic rebuilds, one lab at a time)."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil

import nbformat
import pytest

from helpers.lab.solutions import solutions_of
from tests.labs.conftest import NOTEBOOKS, ROOT

_spec = importlib.util.spec_from_file_location("build_labs", ROOT / "tools" / "build_labs.py")
build_labs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_labs)

IDS = [p.stem for p in NOTEBOOKS]
# Cluster verbs with a command-line twin; a cell calling one names the command: kubectl
# for the API verbs, curl (or a load tool) for the HTTP ones, docker for node power on kind.
KUBECTL_VERBS = {
    "apply", "get", "delete", "scale", "set_image", "rollout_undo", "wait_rollout", "pods",
    "nodes", "events", "delete_pod", "cordon", "uncordon", "drain", "stop_node", "start_node",
    "traffic", "service",
}  # fmt: skip
TWINS = ("kubectl", "curl", "docker")
HELPER_ROOTS = {"helpers", "cluster"}
EXERCISE = re.compile(r'helpers\.lab\.exercise\("([^"]+)"\)')


def _read(path):
    return nbformat.read(path, as_version=4)


def _root(node):
    # Only plain attribute chains count: cluster.pods()["status"].value_counts() is one
    # helper call (cluster.pods) followed by pandas.
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def helper_calls(source: str) -> list[str]:
    """Calls rooted at helpers or cluster, e.g. ['cluster.scale', 'helpers.checks.replicas']."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and _root(node.func) in HELPER_ROOTS:
            calls.append(ast.unparse(node.func))
    return calls


def test_the_numbered_labs_come_in_order():
    assert IDS[:6] == [
        "00_setup",
        "01_containers",
        "02_deploy",
        "03_scale",
        "04_break",
        "05_roll_forward",
    ]
    assert all(re.fullmatch(r"\d\d_[a-z_]+", i) for i in IDS)
    assert [int(i[:2]) for i in IDS] == list(range(len(IDS)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_matches_its_source(path):
    built = build_labs.notebook_of(ROOT / "labs" / "src" / f"{path.stem}.md")
    committed = _read(path)
    assert [(c.id, c.cell_type, c.source, c.metadata) for c in committed.cells] == [
        (c.id, c.cell_type, c.source, c.metadata) for c in built.cells
    ], f"run: make labs LAB={path.stem[:2]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_goals_time_and_docs_links_at_the_top(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", first.source)
    assert "**Learning goals**" in first.source
    text = "\n".join(c.source for c in _read(path).cells if c.cell_type == "markdown")
    assert len(re.findall(r"https://kubernetes\.io/docs/\S+", text)) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_cells_are_thin_and_name_their_kubectl_twin(path):
    cells = _read(path).cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        calls = helper_calls(cell.source)
        assert len(calls) <= 3, f"cell {i} makes {len(calls)} helper calls: {calls}"
        verbs = {c.split(".")[-1] for c in calls if c.startswith("cluster.")} & KUBECTL_VERBS
        before = cells[i - 1].source if i and cells[i - 1].cell_type == "markdown" else ""
        if verbs and "(no kubectl" not in cell.source:
            text = cell.source + before
            assert any(t in text for t in TWINS), f"cell {i} calls {verbs} without its twin"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ends_with_a_cleanup_cell(path):
    cells = _read(path).cells
    code = [c for c in cells if c.cell_type == "code"]
    # Self-contained, so it runs alone after a kernel restart (no names from earlier cells).
    assert "import helpers.lab" in code[-1].source
    assert "helpers.lab.cleanup()" in code[-1].source
    assert "view." not in code[-1].source and "server." not in code[-1].source
    assert "## Cleanup" in cells[cells.index(code[-1]) - 1].source


NUMBERED = re.compile(r"^## (\d+)\. ", re.M)


def _sections(path) -> list[tuple[int, list]]:
    """(number, code cells) per numbered section ("## 3. ..."), in order; the intro's cells
    (before "## 1.") count as section 0. Unnumbered headings (an exercise, the summary,
    the cleanup) continue the section before them."""
    sections: list[tuple[int, list]] = [(0, [])]
    for cell in _read(path).cells:
        if cell.cell_type == "markdown":
            for number in NUMBERED.findall(cell.source):
                sections.append((int(number), []))
        else:
            sections[-1][1].append(cell)
    return sections


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_numbered_section_opens_with_its_section_cell(path):
    """From section 2 on, a section's first code cell brings the cluster to its start
    (helpers.lab.section), so after a kernel restart a person starts there (lab 00's
    section 2 opens the lab itself)."""
    for number, cells in _sections(path):
        if number < 2:
            continue
        assert cells, f"section {number} has no code cell"
        first = cells[0].source
        call = f'helpers.lab.section("{path.stem}", {number})'
        assert "import helpers.lab" in first, first
        assert call in first or f'helpers.lab.start("{path.stem}")' in first, first
        assert not any("helpers.lab.section(" in c.source for c in cells[1:])


def _names(source: str) -> tuple[set[str], set[str]]:
    """The names a cell defines (assignments, imports, defs) and the names it reads."""
    tree = ast.parse(source)
    defined, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
    return defined, read


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_section_uses_a_name_an_earlier_section_defined(path):
    """A section from 2 on runs alone after a kernel restart: its cells (and the instructor
    answers their exercises run) read only names the section defines, ``cluster`` (from its
    section cell) and builtins. Section 1 follows the intro, which a restart reruns."""
    solutions = solutions_of(path.stem[:2])
    earlier: set[str] = set()
    for number, cells in _sections(path):
        here: set[str] = set()
        for cell in cells:
            source = cell.source
            exercise = EXERCISE.search(source)
            if exercise:
                source += "\n" + solutions[exercise.group(1)]
            defined, read = _names(source)
            borrowed = (read & earlier) - here - defined - {"cluster"}
            if number >= 2:
                assert not borrowed, f"section {number} reads {sorted(borrowed)}:\n{cell.source}"
            here |= defined
        earlier |= here
    # The ClusterView is made once, near the top: no later cell may need it.
    cells = [c for c in _read(path).cells if c.cell_type == "code"]
    made = next((i for i, c in enumerate(cells) if "view = helpers.ClusterView(" in c.source), None)
    for cell in cells[made + 1 :] if made is not None else []:
        assert "view" not in _names(cell.source)[1], cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_a_solution_then_a_passing_check(path):
    cells = [c for c in _read(path).cells if c.cell_type == "code"]
    found = 0
    for i, cell in enumerate(cells):
        match = EXERCISE.search(cell.source)
        if not match:
            continue
        found += 1
        exercise = match.group(1)
        assert exercise.startswith(path.stem[:2] + "-")
        assert cell.source.rstrip().endswith("# keep this line last")
        assert exercise in solutions_of(path.stem[:2])
        check = cells[i + 1]
        assert "helpers.checks." in check.source
        shown = "".join(
            o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in check.outputs
        )
        assert shown.startswith("✓"), f"{exercise}: committed check output is {shown[:80]!r}"
    assert found >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_outputs_are_clean(path):
    """No kubeconfig field, token or local absolute path; no error unless declared."""
    nb = _read(path)
    assert build_labs.leaks(nb) == []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"cell {i} was not executed"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "NBVAL_RAISES_EXCEPTION" in cell.source, f"cell {i}: {errors}"


def test_leak_detector_catches_paths_and_kubeconfig():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", text="/home/ann/.kube/config\nclient-key-data: abc")
    ]
    nb.cells = [cell]
    assert len(build_labs.leaks(nb)) == 2
    cell.outputs = [nbformat.v4.new_output("stream", text=f"{ROOT}/labs")]
    assert "<repo>/labs" in build_labs.scrub(nb).cells[0].outputs[0]["text"]


def test_builder_reads_jupytext_markdown_with_stable_ids():
    text = (
        "# T\n\ntext\n\n```python\nx = 1\n```\n\nmore\n\n```py\nnot a cell\n```\n\n"
        '```python tags=["machine-specific"]\nhelpers.doctor();\n```\n'
    )
    cells = build_labs.cells_of(text, "09_demo")
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown", "code"]
    assert cells[1].source == "x = 1"
    assert "```py\nnot a cell" in cells[2].source
    assert cells[3].metadata == {"tags": ["machine-specific"]}
    assert [c["id"] for c in cells] == [f"09-demo-00{i}" for i in range(4)]
    assert build_labs.cells_of(text, "09_demo") == cells  # no random ids


def test_settle_drops_run_specific_parts_and_keeps_what_nbval_compares():
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": "3.x"}})
    doctor = nbformat.v4.new_code_cell("helpers.doctor();", metadata={"tags": ["machine-specific"]})
    doctor.outputs = [nbformat.v4.new_output("stream", text="75.7 GiB free")]
    view, table = nbformat.v4.new_code_cell("view"), nbformat.v4.new_code_cell("pods")
    view.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                build_labs.WIDGET_VIEW: {"model_id": "1b51"},
                "text/html": "<div>",
                "text/plain": "v",
            },
        )
    ]
    table.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "3 pods"})]
    stuck = nbformat.v4.new_code_cell('print(reason, "-", what)')
    stuck.outputs = [nbformat.v4.new_output("stream", text=t) for t in ("Stuck", " - why\n")]
    nb.cells = [doctor, view, table, stuck]
    settled = build_labs.settle(nb)
    assert settled.cells[0].outputs[0]["text"] == build_labs.MACHINE_NOTE
    assert set(settled.cells[1].outputs[0]["data"]) == {"text/html", "text/plain"}
    assert settled.cells[2].outputs[0]["data"] == {"text/plain": "3 pods"}
    assert [o["text"] for o in settled.cells[3].outputs] == ["Stuck - why\n"]
    assert settled.metadata["language_info"] == {"name": "python"}


def test_bloat_detector_catches_an_inlined_plotlyjs():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig")
    html = "<script>/**\n* plotly.js v3.1.0\n* Copyright 2012-2025, Plotly, Inc.\n*/</script>"
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    nb.cells = [cell]
    assert build_labs.bloat(nb) == ["cell 0: an inlined plotly.js"]


# Committed notebooks are read in every review and clone: figures travel as plotly's
# mimetype (about 20 kB each), never with plotly.js (4.7 MB) inlined.
MAX_COMMITTED_BYTES = 2_000_000


def test_committed_notebooks_are_small_and_inline_no_library():
    total = sum(p.stat().st_size for p in NOTEBOOKS)
    assert total < MAX_COMMITTED_BYTES, f"labs/*.ipynb total {total} bytes"
    for path in NOTEBOOKS:
        assert build_labs.bloat(_read(path)) == [], path.name


@pytest.mark.slow  # runs lab 00 twice in a kernel: about 40 s
def test_rebuilding_one_lab_is_deterministic_and_touches_no_other(tmp_path):
    for path in NOTEBOOKS:
        shutil.copy2(path, tmp_path / path.name)
    others = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    target = tmp_path / "00_setup.ipynb"
    target.unlink()
    del others[target.name]
    assert build_labs.build("00", run=True, out=tmp_path) == [target]
    first = target.read_bytes()
    # Same source, same run: the file is not even rewritten.
    assert build_labs.build("00", run=True, out=tmp_path) == []
    assert target.read_bytes() == first
    assert {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir() if p != target
    } == others
    assert _read(target).cells[1].outputs[0]["text"] == build_labs.MACHINE_NOTE


def test_every_check_has_tests_and_is_used_in_a_lab():
    """Each public check is exercised by tests/labs (pass and fail) and by some notebook."""
    from helpers import checks

    tests = "".join(p.read_text() for p in (ROOT / "tests" / "labs").glob("test_*.py"))
    labs = "".join((ROOT / "labs" / "src").joinpath(f"{p.stem}.md").read_text() for p in NOTEBOOKS)
    for name in checks.__all__:
        if name == "CheckResult":
            continue
        assert f"checks.{name}(" in tests, f"helpers.checks.{name} has no test"
        assert f"helpers.checks.{name}(" in labs, f"helpers.checks.{name} is used in no lab"


# Outputs nbval may skip: widgets, figures, this machine's doctor report, and repository
# files others edit. Everything else is compared.
IGNORABLE = ("helpers.ClusterView(", "helpers.plots.", "helpers.lab.show_file(", "doctor()")
# Calls whose output must be ignored: live widgets, plotly figures, others' files.
MUST_IGNORE = (
    "helpers.ClusterView(", "traffic_timeline(", "pods_per_version(", "compare_rollouts(",
    "helpers.lab.show_file(",
)  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_only_widgets_figures_and_machine_specific_outputs_are_ignored(path):
    for cell in _read(path).cells:
        if cell.cell_type == "code" and "NBVAL_IGNORE_OUTPUT" in cell.source:
            assert any(k in cell.source for k in IGNORABLE), cell.source
        if cell.cell_type == "code" and any(k in cell.source for k in MUST_IGNORE):
            assert "NBVAL_IGNORE_OUTPUT" in cell.source, cell.source
