"""The test tiers' one rule: a test whose tool is missing skips and says why, unless CI
requires that tool (LAB_REQUIRE_DOCKER=1, LAB_REQUIRE_BROWSER=1, LAB_REQUIRE_KIND=1 or
LAB_BACKEND=kind, LAB_REQUIRE_KUBECTL=1), in which case it fails: CI must not pass by
skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = {
    "docker": "LAB_REQUIRE_DOCKER",
    "browser": "LAB_REQUIRE_BROWSER",
    "kind": "LAB_REQUIRE_KIND",
    "kubectl": "LAB_REQUIRE_KUBECTL",  # the real binary in bin/ (make offline-tools)
}


def required(tool: str) -> bool:
    """True when this run must have ``tool`` ("docker", "browser", "kind" or "kubectl")."""
    if tool == "kind" and os.environ.get("LAB_BACKEND") == "kind":
        return True
    return os.environ.get(REQUIRE[tool]) == "1"


def unavailable(tool: str, reason: str) -> NoReturn:
    """Skip with ``reason``, or fail with it when this run requires ``tool``."""
    if required(tool):
        pytest.fail(f"{REQUIRE[tool]}=1 but {reason}", pytrace=False)
    pytest.skip(reason)
