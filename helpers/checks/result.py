"""The result an exercise check returns, and the waiting every check shares.

A check never raises for a wrong answer: it returns a ``CheckResult`` that shows ✓ or ✗
with what it saw and, when wrong, a hint aimed at that mistake. It is truthy when passed,
so ``assert helpers.checks.replicas(cluster, "model", 5)`` works in tests and CI.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Callable
from dataclasses import dataclass

from helpers.errors import CheckFailed, LabError, LabTimeout

# 60 s on the cluster clock: long enough for a pod to start and pass its readiness probe
# (image already present), short enough that a wrong answer is reported within a minute.
SETTLE_S = 60.0
# LAB_STRICT_CHECKS=1 (tools/test-kind.sh sets it for the notebooks on kind, where nbval-lax
# compares no outputs): a failed check raises CheckFailed instead of only showing ✗.
STRICT_ENV = "LAB_STRICT_CHECKS"
# 10 s on the cluster clock for the controllers to observe the latest writes: informers
# deliver in milliseconds, a busy kind cluster in about a second.
OBSERVE_S = 10.0


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check.

    Attributes:
        goal: what the exercise asks, in one sentence.
        passed: True when the cluster (or the answer) meets the goal.
        seen: what the check observed.
        hint: the next step when it failed (empty when passed).

    Example:
        >>> result = helpers.checks.replicas(cluster, "model", 5)
        >>> bool(result)
        True
    """

    goal: str
    passed: bool
    seen: str
    hint: str = ""

    def __post_init__(self) -> None:
        if not self.passed and os.environ.get(STRICT_ENV) == "1":
            raise CheckFailed(f"✗ {self.goal} (seen: {self.seen})", self.hint or None)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else "✗"
        lines = [f"{mark} {self.goal}", f"  seen: {self.seen}"]
        if not self.passed and self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#cf222e"
        mark = "✓" if self.passed else "✗"
        hint = (
            f"<div><b>hint:</b> {html.escape(self.hint)}</div>"
            if not self.passed and self.hint
            else ""
        )
        return (
            f'<div style="border-left:4px solid {color};padding:4px 10px">'
            f'<div style="color:{color};font-weight:bold">{mark} {html.escape(self.goal)}</div>'
            f"<div><b>seen:</b> {html.escape(self.seen)}</div>{hint}</div>"
        )


@dataclass(frozen=True)
class Verdict:
    """One look at the cluster: passed, or not yet (``settling``), or wrong."""

    passed: bool
    seen: str
    hint: str = ""
    settling: bool = False  # the spec is right; the cluster is still converging


def converge(
    cluster, goal: str, look: Callable[[object], Verdict], settle: float = SETTLE_S
) -> CheckResult:
    """Look at the cluster; while the answer is right but still settling, wait for it.

    The controllers observe writes asynchronously (``metadata.generation`` runs ahead of
    ``status.observedGeneration`` until they sync), so the check first waits for them to
    catch up: a check run right after an apply judges the answer, not the controllers'
    lag. Then a wrong spec fails at once with its hint; a right spec gets ``settle``
    seconds on the cluster clock to converge (on the simulator that costs no real time).

    Example:
        >>> converge(cluster, "3 pods", lambda c: Verdict(True, "3 pods"))
    """
    with contextlib.suppress(LabTimeout):  # a look at the lagging state is still a look
        cluster.wait(_observed, timeout=OBSERVE_S, what="the controllers to observe the writes")
    verdict = look(cluster)
    if not verdict.passed and verdict.settling and settle > 0:
        # A timeout is reported below as a failed check with the last thing seen.
        with contextlib.suppress(LabTimeout):
            cluster.wait(
                lambda c: _done(look(c)), timeout=settle, what=f"the cluster to meet: {goal}"
            )
        verdict = look(cluster)
    return CheckResult(goal, verdict.passed, verdict.seen, "" if verdict.passed else verdict.hint)


def _observed(cluster) -> bool:
    """Every Deployment's and ReplicaSet's controller has synced its latest generation."""
    for kind in ("Deployment", "ReplicaSet"):
        for obj in cluster.list_objects(kind, namespace=None):
            status = obj.get("status") or {}
            if (status.get("observedGeneration") or 0) < obj["metadata"].get("generation", 0):
                return False
    return True


def _done(verdict: Verdict) -> bool:
    return verdict.passed or not verdict.settling


def need(condition: bool, message: str, hint: str) -> None:
    """Raise LabError for a misused check (wrong argument types), never for a wrong answer."""
    if not condition:
        raise LabError(message, hint)
