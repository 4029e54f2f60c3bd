"""PodDisruptionBudgets: their status, and whether the Eviction API lets a pod go.

An eviction that would take a PodDisruptionBudget below its minimum is refused, as the
Eviction API's HTTP 429 is
(kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-budgets).
"""

from __future__ import annotations

import math
from typing import Any

from helpers.core import labels
from helpers.sim.store import Obj


def budget(pdb: Obj, pods: list) -> dict[str, Any]:
    """A PodDisruptionBudget's status from the pods it selects."""
    reqs = labels.parse(pdb.spec["selector"])
    selected = [p for p in pods if p.active and labels.matches(reqs, p.labels)]
    expected = len(selected)
    healthy = sum(1 for p in selected if p.is_ready)
    spec = pdb.spec
    if "minAvailable" in spec:
        desired = _amount(spec["minAvailable"], expected)
    else:
        desired = max(0, expected - _amount(spec["maxUnavailable"], expected))
    return {
        "observedGeneration": pdb.meta.get("generation", 1),
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "disruptionsAllowed": max(0, healthy - desired),
    }


def _amount(value, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100 - 1e-9)
    return int(value)


def eviction_allowed(store, pod) -> bool:
    """Whether every PodDisruptionBudget covering ``pod`` lets it go now."""
    for pdb in store.of_kind("PodDisruptionBudget", pod.namespace):
        reqs = labels.parse(pdb.spec["selector"])
        if not labels.matches(reqs, pod.labels):
            continue
        status = budget(pdb, store.select("Pod", pod.namespace, reqs))
        if not pod.is_ready:
            # IfHealthyBudget: an unhealthy pod may go while the budget is met.
            if status["currentHealthy"] < status["desiredHealthy"]:
                return False
            continue
        if status["disruptionsAllowed"] <= 0:
            return False
    return True
