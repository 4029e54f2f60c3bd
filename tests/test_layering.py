"""The package's shape: public names stay where the labs find them, layers show in
``ls helpers/``, and importing helpers starts nothing. The layer and no-cycle rules
themselves are import-linter contracts (.importlinter, run by ``make lint``)."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"

# The layers, top to bottom, as .importlinter states them.
LAYERS = ["lab", "checks", "views", "diagnosis", "connect.py", "sim", "kube", "kind", "core"]


def test_ls_helpers_shows_the_layers():
    entries = {p.name for p in HELPERS.iterdir() if not p.name.startswith(("_", "."))}
    assert set(LAYERS) <= entries
    # Nothing else but the error family and the package marker at the top.
    assert entries - set(LAYERS) == {"errors.py", "py.typed"}


@pytest.mark.parametrize("package", ["helpers", "helpers.lab", "helpers.checks"])
def test_every_public_name_imports(package):
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_public_paths_the_labs_use():
    import helpers

    assert callable(helpers.doctor) and callable(helpers.lab.start)
    assert callable(helpers.checks.replicas) and callable(helpers.lab.kubectl)
    assert callable(helpers.kindcluster.create)
    # Importing the doctor's package must not shadow the function notebooks call.
    importlib.import_module("helpers.diagnosis")
    assert callable(helpers.doctor)


def test_import_contracts_hold():
    # make lint runs the same; here a broken contract also names itself in the test report.
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "0 broken" in out.stdout


def test_importing_helpers_starts_nothing_and_prints_nothing():
    code = (
        "import sys, threading; import helpers; "
        "heavy = [m for m in ('kubernetes', 'docker', 'plotly', 'ipywidgets', 'helpers.sim') "
        "if m in sys.modules]; "
        "assert not heavy, heavy; assert threading.active_count() == 1"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
