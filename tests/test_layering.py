"""Layers in one direction: views know only the shared API; backends know no views;
nothing imports from labs/; importing helpers starts nothing heavy."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def modules_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py")) if folder.exists() else []


def test_views_do_not_import_backend_internals():
    for path in modules_under(HELPERS / "views"):
        bad = {m for m in imports_of(path) if m.startswith(("helpers.sim", "helpers.kube"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_backends_and_core_do_not_import_views():
    for path in modules_under(HELPERS):
        if "views" in path.relative_to(HELPERS).parts:
            continue
        bad = {m for m in imports_of(path) if m.startswith("helpers.views")}
        if path.name == "__init__.py" and path.parent == HELPERS:
            continue  # the package's lazy attribute table names views as strings only
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_nothing_imports_from_labs():
    for path in [*modules_under(HELPERS), *modules_under(ROOT / "tests")]:
        bad = {m for m in imports_of(path) if m.split(".")[0] == "labs"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


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
