"""The HPA's ``behavior`` rules, pure: defaults, stabilization windows, rate policies.

``scaling_rules`` fills in the API server's defaults; ``stabilize`` applies the
stabilization windows to a recommendation and ``limit_rate`` bounds it by the scaling
policies and min/max replicas, both against the ``History`` the controller keeps per HPA
(kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The defaults the API server fills into spec.behavior (autoscaling/v2 defaulting).
DEFAULT_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Percent", "value": 100, "periodSeconds": 15},
        {"type": "Pods", "value": 4, "periodSeconds": 15},
    ],
}
DEFAULT_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def scaling_rules(spec: dict) -> tuple[dict, dict]:
    """The scaleUp and scaleDown rules with the API server's defaults filled in."""
    behavior = spec.get("behavior") or {}
    out = []
    for direction, default in (("scaleUp", DEFAULT_SCALE_UP), ("scaleDown", DEFAULT_SCALE_DOWN)):
        given = behavior.get(direction) or {}
        out.append({key: given.get(key, value) for key, value in default.items()})
    return out[0], out[1]


@dataclass
class History:
    """What the controller remembers per HPA between syncs (it is not in the object)."""

    recommendations: list[tuple[float, int]]  # (time, unstabilized desired replicas)
    ups: list[tuple[float, int]]  # (time, replicas added)
    downs: list[tuple[float, int]]  # (time, replicas removed)

    @classmethod
    def empty(cls) -> History:
        return cls([], [], [])

    def record_scale(self, now: float, before: int, after: int) -> None:
        """Remember a rescale for the rate policies (entries older than 30 min dropped)."""
        if after > before:
            self.ups.append((now, after - before))
        elif after < before:
            self.downs.append((now, before - after))
        # 1800 s: the longest periodSeconds a policy may have.
        self.ups = [e for e in self.ups if e[0] > now - 1800]
        self.downs = [e for e in self.downs if e[0] > now - 1800]


def stabilize(
    history: History, now: float, desired: int, current: int, up: dict, down: dict
) -> tuple[int, str, str]:
    """Apply the stabilization windows: the lowest recent recommendation bounds a scale-up,
    the highest bounds a scale-down. Records ``desired``; returns (replicas, reason, message).
    """
    up_cut = now - up["stabilizationWindowSeconds"]
    down_cut = now - down["stabilizationWindowSeconds"]
    up_rec = down_rec = desired
    old = None
    for i, (t, value) in enumerate(history.recommendations):
        if t > up_cut:
            up_rec = min(value, up_rec)
        if t > down_cut:
            down_rec = max(value, down_rec)
        if t < up_cut and t < down_cut:
            old = i  # outside both windows: its slot is reused
    stabilized = min(max(current, up_rec), down_rec)
    if old is None:
        history.recommendations.append((now, desired))
    else:
        history.recommendations[old] = (now, desired)
    if desired >= current:
        return (
            stabilized,
            "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent "
            "recommendation",
        )
    return (
        stabilized,
        "ScaleDownStabilized",
        "recent recommendations were higher than current one, applying the highest recent "
        "recommendation",
    )


def _period_start(current: int, history: History, now: float, period: int) -> int:
    added = sum(n for t, n in history.ups if t > now - period)
    removed = sum(n for t, n in history.downs if t > now - period)
    return current - added + removed


def _rule_limit(current: int, history: History, now: float, rules: dict, up: bool) -> int:
    if rules["selectPolicy"] == "Disabled":
        return current
    proposals = []
    for policy in rules["policies"]:
        start = _period_start(current, history, now, policy["periodSeconds"])
        if policy["type"] == "Pods":
            proposals.append(start + policy["value"] if up else start - policy["value"])
        elif up:
            # Rounded up, or a small Deployment could never grow.
            proposals.append(math.ceil(start * (1 + policy["value"] / 100)))
        else:
            proposals.append(int(start * (1 - policy["value"] / 100)))
    # "Max" picks the policy allowing the biggest change, "Min" the smallest.
    biggest = max if up else min
    smallest = min if up else max
    return (biggest if rules["selectPolicy"] == "Max" else smallest)(proposals)


def limit_rate(
    current: int,
    desired: int,
    low: int,
    high: int,
    history: History,
    now: float,
    up: dict,
    down: dict,
) -> tuple[int, str, str]:
    """Bound ``desired`` by the scaling policies and min/max; returns (replicas, reason, message)."""
    if desired > current:
        limit = max(_rule_limit(current, history, now, up, True), current)
        if high > limit:
            allowed, reason = limit, "ScaleUpLimit"
            message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            allowed, reason = high, "TooManyReplicas"
            message = "the desired replica count is more than the maximum replica count"
        if desired > allowed:
            return allowed, reason, message
    elif desired < current:
        limit = min(_rule_limit(current, history, now, down, False), current)
        if low < limit:
            allowed, reason = limit, "ScaleDownLimit"
            message = "the desired replica count is decreasing faster than the maximum scale rate"
        else:
            allowed, reason = low, "TooFewReplicas"
            message = "the desired replica count is less than the minimum replica count"
        if desired < allowed:
            return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
