"""CheckResult: ✓/✗ for a student, and under LAB_STRICT_CHECKS=1 (the instructors' run of
the notebooks on kind, whose outputs nbval-lax does not compare) an exception instead of ✗."""

from __future__ import annotations

import pytest

import helpers.checks
from helpers.checks.result import STRICT_ENV, CheckResult
from helpers.errors import CheckFailed


def test_a_failed_check_shows_its_hint_and_is_falsy(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    result = CheckResult("3 pods", False, "2 pods", "scale it")
    assert not result
    assert repr(result).splitlines() == ["✗ 3 pods", "  seen: 2 pods", "  hint: scale it"]


def test_strict_mode_raises_for_a_failed_check_only(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    assert CheckResult("3 pods", True, "3 pods")
    with pytest.raises(CheckFailed, match=r"✗ 3 pods \(seen: 2 pods\)") as err:
        CheckResult("3 pods", False, "2 pods", "scale it")
    assert err.value.hint == "scale it"


def test_strict_mode_stops_a_real_check_that_fails(monkeypatch, deployed):
    monkeypatch.setenv(STRICT_ENV, "1")
    assert helpers.checks.replicas(deployed, "model", 3)
    with pytest.raises(CheckFailed, match="runs 5 ready replicas"):
        helpers.checks.replicas(deployed, "model", 5)
