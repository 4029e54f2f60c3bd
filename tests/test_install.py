"""The install is lean and hash-locked.

``requirements*.in`` name the direct dependencies (and why); ``make lock`` locks every
transitive one with its hashes into ``requirements*.txt``. A student's ``make lab`` installs
the student lock only; the test tools live in the dev lock, which agrees with it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "cluster" / "model"
# lock -> the input file it is made from (make lock)
LOCKS = {
    ROOT / "requirements.txt": ROOT / "requirements.in",
    ROOT / "requirements-dev.txt": ROOT / "requirements-dev.in",
    MODEL / "requirements-server.txt": MODEL / "requirements-server.in",
    MODEL / "requirements-train.txt": MODEL / "requirements-train.in",
}
STUDENT_LOCK = ROOT / "requirements.txt"
# the installers, pinned and hash-checked too: pip for every venv, uv for `make lock`
TOOL_LOCKS = [ROOT / "tools" / "pip.txt", ROOT / "tools" / "uv.txt"]
DEV_TOOLS = (
    "pytest",
    "ruff",
    "playwright",
    "hypothesis",
    "schemathesis",
    "nbval",
    "import-linter",
    "jupytext",
)
# name==version [; marker] --hash=sha256:... (one or more), continuation lines joined
ENTRY = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)"
    r"(?:\s*;\s*(?P<marker>.+?))?"
    r"(?P<hashes>(?:\s+--hash=sha256:[0-9a-f]{64})+)"
)


def canonical(name: str) -> str:
    """PEP 503 name: PyYAML, pyyaml and py_yaml are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(text: str) -> list[str]:
    """A lock's requirement entries, each with its continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def lock_problems(text: str) -> list[str]:
    """What makes a lock unfit for ``pip install --require-hashes``; empty when fit."""
    problems, seen = [], {}
    for entry in lock_entries(text):
        match = ENTRY.fullmatch(entry)
        if not match:
            problems.append(f"not an exact pin with sha256 hashes: {entry[:80]}")
            continue
        name = canonical(match["name"])
        if name in seen and seen[name] != match["version"]:
            problems.append(f"{name} pinned twice: {seen[name]} and {match['version']}")
        elif name in seen:
            problems.append(f"{name} listed twice")
        seen[name] = match["version"]
    return problems


def pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, sha256 hashes) of a lock."""
    out = {}
    for entry in lock_entries(lock.read_text()):
        match = ENTRY.fullmatch(entry)
        assert match, f"{lock.name}: {entry[:80]}"
        out[canonical(match["name"])] = (
            match["version"],
            frozenset(re.findall(r"sha256:(\w+)", entry)),
        )
    return out


def direct(requirements_in: Path) -> dict[str, str]:
    """name -> version of an input file's direct requirements, following ``-r`` includes."""
    out = {}
    for raw in requirements_in.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            out.update(direct(requirements_in.parent / line[3:].strip()))
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{requirements_in.name}: direct requirements are exact pins: {line}"
        out[canonical(name.strip())] = version.strip()
    return out


# ---- the checks themselves catch what they are for --------------------------------------


def test_lock_problems_finds_a_missing_hash_and_a_double_pin():
    bad = (
        "numpy==2.4.6 \\\n    --hash=sha256:" + "a" * 64 + "\n"
        "pandas==3.1.1\n"  # no hash
        "numpy==2.4.5 \\\n    --hash=sha256:" + "b" * 64 + "\n"
        "requests>=2\n"
    )
    problems = lock_problems(bad)
    assert any("pandas==3.1.1" in p for p in problems)
    assert any("numpy pinned twice" in p for p in problems)
    assert any("requests>=2" in p for p in problems)
    good = "appnope==1.0.0 ; sys_platform == 'darwin' \\\n    --hash=sha256:" + "c" * 64 + "\n"
    assert lock_problems(good) == []


# ---- the locks ---------------------------------------------------------------------------


@pytest.mark.parametrize("lock", [*LOCKS, *TOOL_LOCKS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_one_exact_pin_with_hashes(lock):
    assert lock_entries(lock.read_text()), f"{lock.name} is empty"
    assert lock_problems(lock.read_text()) == []


def test_the_student_lock_has_no_dev_tool():
    student = pins(STUDENT_LOCK)
    assert [tool for tool in DEV_TOOLS if tool in student] == []
    dev = pins(ROOT / "requirements-dev.txt")
    assert [tool for tool in DEV_TOOLS if tool not in dev] == []  # they did not just vanish


@pytest.mark.parametrize(
    ("lock", "requirements_in"), list(LOCKS.items()), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_direct_requirement_is_locked_at_its_version(lock, requirements_in):
    locked = pins(lock)
    wanted = direct(requirements_in)
    assert wanted
    assert {n: v for n, v in wanted.items() if locked.get(n, ("missing",))[0] != v} == {}


@pytest.mark.parametrize("lock", list(LOCKS)[1:], ids=lambda p: str(p.relative_to(ROOT)))
def test_the_other_locks_agree_with_the_student_lock(lock):
    """Same version and same files (hashes) wherever a package is in both: make lock uses -c."""
    student = pins(STUDENT_LOCK)
    other = pins(lock)
    assert {n: pin for n, pin in other.items() if n in student and student[n] != pin} == {}
    if lock.parent == MODEL:  # the image installs a subset of what a student has
        assert sorted(set(other) - set(student)) == []


# ---- who installs what -------------------------------------------------------------------


def make_dry_run(target: str) -> str:
    """The commands `make` would run for target, the prerequisites included (-B), none run."""
    done = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_lab_installs_the_student_lock_only_with_hashes():
    commands = make_dry_run(".venv/.lab-stamp")
    assert re.search(r"pip install .*--require-hashes -r requirements\.txt", commands)
    assert "requirements-dev" not in commands
    assert "--no-deps -e ." in commands


def test_make_test_adds_the_dev_lock_with_hashes():
    commands = make_dry_run("test")
    assert re.search(r"pip install .*--require-hashes -r requirements-dev\.txt", commands)


def test_the_model_image_installs_its_locks_with_hashes():
    dockerfile = (MODEL / "Dockerfile").read_text()
    for lock in ("requirements-train.txt", "requirements-server.txt"):
        assert re.search(rf"pip install [^\n]*--require-hashes -r {lock}", dockerfile), lock
