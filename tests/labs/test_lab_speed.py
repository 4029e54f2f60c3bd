"""The speed a lab's simulator runs at: realtime for people, virtual wherever outputs are
compared (helpers/lab/speed.py), and every lab's introduction saying its factor."""

from __future__ import annotations

import re

import pytest

import helpers.lab
from helpers.errors import LabError
from helpers.lab.speed import LAB_SPEEDS, describe, resolve
from tests.labs.conftest import ROOT

SOURCES = sorted((ROOT / "labs" / "src").glob("[0-9][0-9]_*.md"))


def test_a_person_gets_the_labs_own_factor():
    assert resolve("04_break", environ={}) == LAB_SPEEDS["04_break"]
    assert resolve("99_new", environ={}) == 10.0  # a lab without an entry yet


@pytest.mark.parametrize(
    ("speed", "environ", "expected"),
    [
        (None, {"LAB_SPEED": "virtual"}, None),
        (None, {"LAB_SPEED": " 25 "}, 25.0),
        (None, {"CI": "true"}, None),  # GitHub Actions
        (None, {"CI": "false"}, LAB_SPEEDS["03_scale"]),
        (None, {"CI": "true", "LAB_SPEED": "40"}, 40.0),  # said explicitly: wins over CI
        (3, {"LAB_SPEED": "virtual"}, 3.0),  # the argument wins over the environment
        ("virtual", {}, None),
        ("Virtual", {"LAB_SPEED": "5"}, None),
    ],
)
def test_the_argument_then_lab_speed_then_ci_decide(speed, environ, expected):
    assert resolve("03_scale", speed, environ) == expected


@pytest.mark.parametrize("bad", ["fast", "0", "-2", 0, True])
def test_a_wrong_speed_says_what_to_write(bad):
    with pytest.raises(LabError) as err:
        resolve("03_scale", bad, {})
    assert "LAB_SPEED=virtual" in err.value.hint


def test_the_test_suite_runs_labs_in_virtual_time():
    cluster = helpers.lab.start("00_setup", backend="sim")  # tests/conftest.py: virtual
    try:
        assert "virtual time" in repr(cluster)
    finally:
        helpers.lab.cleanup(cluster)


def test_start_with_a_speed_runs_the_clock_and_a_new_start_closes_the_old_one():
    first = helpers.lab.start("00_setup", backend="sim", speed=50)
    assert "realtime x50" in repr(first)
    second = helpers.lab.start("00_setup", backend="sim", speed="virtual")
    try:
        assert not first._driver.alive  # a re-run lab stops its old clock thread
        assert describe(None) == "virtual time" and describe(12.0) == "realtime at 12x"
    finally:
        helpers.lab.cleanup(second)


def test_builds_and_nbval_pin_virtual_time():
    from tests.labs.test_notebooks import build_labs

    assert build_labs.KERNEL_ENV["LAB_SPEED"] == "virtual"
    makefile = (ROOT / "Makefile").read_text()
    nbval = re.search(r"^nbval:.*\n\t(.*)", makefile, re.M).group(1)
    assert "LAB_SPEED=virtual" in nbval
    assert "LAB_SPEED=virtual" in (ROOT / "tools" / "test-kind.sh").read_text()


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_lab_intro_says_its_speed(source):
    assert source.stem in LAB_SPEEDS
    intro = source.read_text().split("```python")[0]
    assert f"at {LAB_SPEEDS[source.stem]:g}x" in intro
    assert "LAB_SPEED=virtual" in intro
