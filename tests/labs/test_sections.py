"""helpers.lab.section: every numbered section of every lab runs after a kernel restart,
from its own first cell to the end of the lab; in a run from the top that cell changes
nothing, and from any other state it repairs what differs and says so."""

from __future__ import annotations

import re

import nbformat
import pytest

import helpers.lab
from helpers.errors import LabError
from helpers.lab import session
from helpers.lab.sections import SECTIONS
from tests.labs.conftest import NOTEBOOKS, cell_text, code_cells, execute

SECTION_CALL = re.compile(r'helpers\.lab\.section\("(\w+)", (\d+)\)')
CHANGE_LINE = re.compile(r"section \d+ starts from .+: .+ \(.+\)")


def _starts():
    """(notebook, section number) for every section cell in the committed notebooks."""
    found = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            match = SECTION_CALL.search(cell.source) if cell.cell_type == "code" else None
            if match:
                found.append(
                    pytest.param(path, int(match.group(2)), id=f"{path.stem}-s{match.group(2)}")
                )
    return found


@pytest.fixture
def sim_env(monkeypatch):
    """A lab opened by section() itself (a restarted kernel) comes up on the simulator."""
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_SPEED", "virtual")
    yield
    if session._current["cluster"] is not None:
        session._current["cluster"].close()
    session._current.update(cluster=None, lab=None)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "number"), _starts())
def test_a_section_runs_to_the_end_of_its_lab_in_a_fresh_kernel(path, number, monkeypatch):
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    monkeypatch.setenv("LAB_SPEED", "virtual")
    nb, code = code_cells(path)
    first = next(
        i for i, c in enumerate(code) if f'helpers.lab.section("{path.stem}", {number})' in c.source
    )
    nb.cells = code[first:]  # no earlier cell: not the lab's start, no name from before
    execute(nb)  # CellExecutionError if any cell raises
    opening = cell_text(nb.cells[0]).splitlines()
    assert all(CHANGE_LINE.fullmatch(line) for line in opening), opening
    # From here on the run is linear: each later section finds its start already there.
    for cell in nb.cells[1:]:
        if SECTION_CALL.search(cell.source):
            assert cell_text(cell) == "", f"{cell.source}\nprinted:\n{cell_text(cell)}"
    checks = [c for c in nb.cells if c.source.lstrip().startswith("helpers.checks.")]
    for cell in checks:
        text = cell_text(cell)
        assert "✓" in text and "✗" not in text, f"{cell.source}\n{text}"


def test_every_section_cell_has_a_starting_state_and_every_state_a_cell():
    assert {(p.stem, n) for p, n in (s.values for s in _starts())} == {
        (lab, n) for lab, numbers in SECTIONS.items() for n in numbers
    }


def test_in_a_run_from_the_top_a_section_changes_nothing(sim_env, capsys):
    cluster = helpers.lab.start("05_roll_forward")
    before = (cluster.now(), len(cluster.event_rows()))
    for number in (2, 3):
        assert helpers.lab.section("05_roll_forward", number) is cluster
    assert (cluster.now(), len(cluster.event_rows())) == before
    cluster.set_image("model", "orchestra/model:v2")  # section 3 ends at v2
    cluster.wait_rollout("model")
    before = (cluster.now(), len(cluster.event_rows()))
    capsys.readouterr()
    assert helpers.lab.section("05_roll_forward", 4) is cluster
    assert (cluster.now(), len(cluster.event_rows())) == before
    assert capsys.readouterr().out == ""


def test_a_section_repairs_what_differs_and_says_so(sim_env, capsys):
    cluster = helpers.lab.start("05_roll_forward")  # v1, as after a kernel restart
    capsys.readouterr()
    assert helpers.lab.section("05_roll_forward", 4) is cluster
    assert capsys.readouterr().out == (
        "section 4 starts from deployment/model at v2: rolled it there (it ran v1)\n"
    )
    assert helpers.checks.rolled_out(cluster, "model", "v2").passed
    # Now the exercise of section 4 has a revision to roll back to.
    assert [rs["spec"]["template"]["spec"]["containers"][0]["image"] for rs in
            cluster.revisions("model").values()] == ["orchestra/model:v1", "orchestra/model:v2"]  # fmt: skip
    helpers.lab.section("05_roll_forward", 4)
    assert capsys.readouterr().out == ""


def test_after_a_kernel_restart_a_section_opens_its_lab(sim_env, capsys):
    old = helpers.lab.start("03_scale")
    session._current["cluster"] = None  # what a new kernel has
    cluster = helpers.lab.section("05_roll_forward", 4)
    assert cluster is not old and session._current == {"cluster": cluster, "lab": "05_roll_forward"}
    assert "rolled it there (it ran v1)" in capsys.readouterr().out
    old.close()
    # Another lab's cluster is no start either: the section opens its own lab.
    other = helpers.lab.section("03_scale", 4)
    assert other is not cluster and session._current["lab"] == "03_scale"


def test_lab_04_section_5_heals_everything_the_earlier_sections_broke(sim_env, capsys):
    cluster = helpers.lab.start("04_break")
    cluster.stop_node("orchestra-worker2")
    cluster.cordon("orchestra-worker")
    cluster.sleep(60)  # past the node monitor grace period: the worker reads NotReady
    helpers.lab.set_tolerations(cluster, "model", 30)
    helpers.lab.set_env(cluster, "model", MODEL_FAULT_CRASH_AT_START="1")
    cluster.set_image("model", "orchestra/model:v1.0")
    helpers.lab.set_probe_path(cluster, "model", "readinessProbe", "/ready")
    capsys.readouterr()
    helpers.lab.section("04_break", 5)
    said = capsys.readouterr().out.splitlines()
    assert said == [
        "section 5 starts from deployment/model at v1: rolled it there (it ran v1.0)",
        "section 5 starts from deployment/model without MODEL_FAULT_CRASH_AT_START: removed it "
        "(it had MODEL_FAULT_CRASH_AT_START=1)",
        "section 5 starts from deployment/model's readinessProbe on /readyz: pointed it there "
        "(it asked /ready)",
        "section 5 starts from node orchestra-worker schedulable: uncordoned it (it was cordoned)",
        "section 5 starts from node orchestra-worker2 Ready: started it "
        "(it was NotReady: Ready=Unknown)",
        "section 5 starts from deployment/model tolerating a lost node for the default 300 s: "
        "reset the tolerations (they tolerated it for 30 s)",
    ]
    assert helpers.checks.healthy(cluster, "model").passed
    assert helpers.checks.rolled_out(cluster, "model", "v1").passed
    nodes = cluster.nodes()
    assert (nodes["ready"] == "True").all() and nodes["schedulable"].all()
    helpers.lab.section("04_break", 5)
    assert capsys.readouterr().out == ""


def test_lab_03_an_autoscaler_left_running_goes_before_the_replicas_are_set(sim_env, capsys):
    cluster = helpers.lab.start("03_scale")
    cluster.apply(helpers.lab.manifest("model-hpa.yaml"))
    cluster.scale("model", 5)
    helpers.lab.section("03_scale", 3)
    said = capsys.readouterr().out
    assert "no horizontalpodautoscaler/model: deleted it" in said
    assert "deployment/model with 6 replicas: scaled it (it had 5)" in said
    assert len(cluster.deployment_pods("model")) == 6  # every pod Ready, none terminating
    assert helpers.checks.replicas(cluster, "model", 6).passed


def test_lab_06_section_3_starts_with_one_spread_pod_pending(sim_env, capsys):
    cluster = helpers.lab.start("06_scheduling")
    helpers.lab.section("06_scheduling", 3)
    assert "deployment/model-spread, 3 replicas that repel each other" in capsys.readouterr().out
    pods = cluster.pods("app=model-spread")
    assert sorted(pods["status"]) == ["Pending", "Running", "Running"]
    # A spread that already tolerates the control plane is not where section 3 starts.
    spread = helpers.lab.one_per_node("model-spread", replicas=3)
    spread["spec"]["template"]["spec"]["tolerations"] = [
        {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}
    ]
    helpers.lab.section("06_scheduling", 2)  # deletes it
    cluster.apply(spread)
    helpers.lab.section("06_scheduling", 3)
    assert "its pods tolerated the control-plane taint" in capsys.readouterr().out
    assert sorted(cluster.pods("app=model-spread")["status"]) == ["Pending", "Running", "Running"]


@pytest.mark.parametrize(
    ("lab", "number", "says"),
    [
        ("07_nothing", 2, "There is no lab '07_nothing'"),
        ("05", 2, "There is no lab '05'"),
        ("05_roll_forward", 9, "Lab 05_roll_forward has no section 9"),
        ("05_roll_forward", 1, "Lab 05_roll_forward has no section 1"),
        ("05_roll_forward", "4", "Lab 05_roll_forward has no section '4'"),
        ("05_roll_forward", True, "Lab 05_roll_forward has no section True"),
        ("05_roll_forward", [4], "Lab 05_roll_forward has no section [4]"),
    ],
)
def test_bad_arguments_raise_a_lab_error_that_says_what_to_do(lab, number, says, sim_env):
    with pytest.raises(LabError) as err:
        helpers.lab.section(lab, number)
    assert err.value.what.startswith(says)
    assert "05_roll_forward" in err.value.hint or "Pass one of 2, 3, 4, 5, 6" in err.value.hint
    assert session._current["cluster"] is None  # nothing was opened
