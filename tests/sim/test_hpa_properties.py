"""Properties of the HPA arithmetic over random pods, loads, bounds and histories.

The rules checked are the documented ones:
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
"""

import math

from hypothesis import given
from hypothesis import strategies as st

from helpers.sim.hpa.replicas import PodSample, replicas_for_cpu
from helpers.sim.hpa.rules import History, limit_rate, scaling_rules, stabilize

usage = st.integers(min_value=0, max_value=2000)
request = st.integers(min_value=10, max_value=1000)
target = st.integers(min_value=10, max_value=200)


@st.composite
def pod_sets(draw):
    ready = draw(st.lists(st.tuples(usage, request), min_size=1, max_size=12))
    others = draw(
        st.lists(st.tuples(st.sampled_from(["unready", "missing"]), usage, request), max_size=6)
    )
    pods = [PodSample(f"r{i}", "ready", u, r) for i, (u, r) in enumerate(ready)]
    for i, (group, u, r) in enumerate(others):
        pods.append(PodSample(f"o{i}", group, None if group == "missing" else u, r))
    return pods


def ready_ratio(pods, target_utilization):
    ready = [p for p in pods if p.group == "ready"]
    util = sum(p.usage_m for p in ready) * 100 // sum(p.request_m for p in ready)
    return util / target_utilization


@given(pod_sets(), target)
def test_never_moves_against_the_measured_direction(pods, target_utilization):
    current = len(pods)
    ratio = ready_ratio(pods, target_utilization)
    got = replicas_for_cpu(current, pods, target_utilization=target_utilization).replicas
    if ratio > 1:
        # Up, but never more than all pods scaled by the ready pods' ratio.
        assert current <= got <= math.ceil(ratio * len(pods))
    elif ratio < 1:
        assert got <= current
    if abs(1 - ratio) <= 0.1:
        assert got == current


@given(st.lists(st.tuples(usage, request), min_size=1, max_size=12), target, usage)
def test_more_load_never_asks_for_fewer_replicas(loads, target_utilization, extra):
    pods = [PodSample(f"p{i}", "ready", u, r) for i, (u, r) in enumerate(loads)]
    busier = [PodSample("p0", "ready", loads[0][0] + extra, loads[0][1]), *pods[1:]]
    current = len(pods)
    base = replicas_for_cpu(current, pods, target_utilization=target_utilization).replicas
    more = replicas_for_cpu(current, busier, target_utilization=target_utilization).replicas
    assert more >= base


@given(
    current=st.integers(min_value=1, max_value=50),
    desired=st.integers(min_value=0, max_value=200),
    low=st.integers(min_value=1, max_value=10),
    span=st.integers(min_value=0, max_value=60),
)
def test_rate_limits_and_bounds_hold(current, desired, low, span):
    high = low + span
    current = min(max(current, low), high)
    up, down = scaling_rules({})
    got, reason, _ = limit_rate(current, desired, low, high, History.empty(), 0.0, up, down)
    assert low <= got <= high
    # Default scale-up: +100 % or +4 pods per 15 s, whichever is more.
    assert got <= current + max(current, 4)
    if desired > current:
        assert current <= got <= desired
    elif desired < current:
        assert desired <= got <= current
    else:
        assert (got, reason) == (current, "DesiredWithinRange")


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=40))
def test_scale_down_uses_the_highest_recommendation_of_the_last_300_s(recommendations):
    # One recommendation per 15 s sync; the current count follows the stabilized answer.
    up, down = scaling_rules({})
    history, current = History.empty(), recommendations[0]
    for i, rec in enumerate(recommendations):
        now = 15.0 * i
        got, _, _ = stabilize(history, now, rec, current, up, down)
        window = [r for j, r in enumerate(recommendations[: i + 1]) if now - 15.0 * j < 300]
        # No stabilization on the way up (window 0): a higher recommendation applies at once.
        assert got == (rec if rec >= current else min(current, max(window)))
        current = got
