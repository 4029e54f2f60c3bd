"""The HPA's arithmetic, alone: formula, tolerance, unready and missing pods, behaviour.

Source for every test here unless noted:
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
"""

import re

import pytest

from helpers.errors import ManifestError
from helpers.sim.hpa.replicas import MetricError, PodSample, replicas_for_cpu
from helpers.sim.hpa.rules import (
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    History,
    limit_rate,
    scaling_rules,
    stabilize,
)
from helpers.sim.hpa.validate import validate


def ready(name, usage_m, request_m=100):
    return PodSample(name, "ready", usage_m, request_m)


def test_desired_is_ceil_of_current_times_ratio():
    # The documented example: 200m used against a 100m target doubles the replicas.
    pods = [ready("a", 200), ready("b", 200)]
    assert replicas_for_cpu(2, pods, target_utilization=100).replicas == 4
    # 3 pods at 80 % against 50 %: ceil(3 * 1.6) = 5.
    pods = [ready(n, 80) for n in "abc"]
    got = replicas_for_cpu(3, pods, target_utilization=50)
    assert (got.replicas, got.utilization, got.average_m) == (5, 80, 80)


@pytest.mark.parametrize(("usage", "expected"), [(54, 5), (46, 5), (56, 6), (60, 6), (40, 4)])
def test_no_change_within_the_ten_percent_tolerance(usage, expected):
    # Target 50 %: a ratio within [0.9, 1.1] keeps the current 5 replicas; beyond it,
    # ceil(5 * ratio).
    pods = [ready(str(i), usage) for i in range(5)]
    assert replicas_for_cpu(5, pods, target_utilization=50).replicas == expected


def test_utilization_is_integer_percent_of_requests():
    pods = [ready("a", 333, request_m=1000)]
    assert replicas_for_cpu(1, pods, target_utilization=10).utilization == 33


def test_average_value_target_ignores_requests():
    pods = [PodSample("a", "ready", 300, 0, no_request="model"), PodSample("b", "ready", 300)]
    assert replicas_for_cpu(2, pods, target_average_m=100).replicas == 6


def test_missing_cpu_request_means_no_utilization():
    pods = [PodSample("a", "ready", 50, 0, no_request="model")]
    with pytest.raises(MetricError, match="missing request for cpu in container model of Pod a"):
        replicas_for_cpu(1, pods, target_utilization=50)


def test_no_metrics_at_all_is_an_error_the_controller_reports():
    pods = [PodSample("a", "missing"), PodSample("b", "unready")]
    with pytest.raises(MetricError, match="no metrics returned from resource metrics API"):
        replicas_for_cpu(2, pods, target_utilization=50)


def test_unready_pods_count_as_idle_on_scale_up():
    # Three ready pods at 60 % against 50 % ask for a scale-up; with the two unready pods
    # counted as idle the ratio drops below 1 (180m / 500m): the direction would reverse,
    # so the HPA keeps 5 (using the ready pods alone would give ceil(1.2 * 3) = 4).
    pods = [ready(n, 60) for n in "abc"]
    pods += [PodSample("d", "unready", 90, 100), PodSample("e", "unready", None, 100)]
    assert replicas_for_cpu(5, pods, target_utilization=50).replicas == 5
    # Two ready pods at 200 %, two unready at 0: 400m over 400m requested is 100 %, ratio 2,
    # so ceil(2 * 4) = 8.
    pods = [ready("a", 200), ready("b", 200)]
    pods += [PodSample("c", "unready", 0, 100), PodSample("d", "unready", None, 100)]
    assert replicas_for_cpu(4, pods, target_utilization=50).replicas == 8


def test_missing_pods_block_a_scale_down_that_would_reverse():
    # Ready pods are idle-ish (40 % vs 50 %: scale down); the missing pods are assumed at
    # 100 %, which turns the ratio above 1: the direction would reverse, so no change.
    pods = [ready("a", 40), PodSample("b", "missing", request_m=100), PodSample("c", "missing")]
    pods[2] = PodSample("c", "missing", request_m=100)
    assert replicas_for_cpu(3, pods, target_utilization=50).replicas == 3


def test_missing_pods_count_as_idle_on_scale_up():
    pods = [ready("a", 300), PodSample("b", "missing", request_m=100)]
    # (300 + 0) / 200 = 150 % vs 50 % → ratio 3 → ceil(3 * 2) = 6.
    assert replicas_for_cpu(2, pods, target_utilization=50).replicas == 6


def test_default_behaviour_scale_up_is_max_of_double_and_four_pods_per_15_s():
    up, down = scaling_rules({})
    assert (up, down) == (DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN)
    h = History.empty()
    # From 1: +4 pods beats +100 %.
    assert limit_rate(1, 50, 1, 100, h, 0.0, up, down)[:2] == (5, "ScaleUpLimit")
    # From 10: +100 % beats +4.
    assert limit_rate(10, 50, 1, 100, h, 0.0, up, down)[0] == 20
    # maxReplicas bounds first when it is lower.
    assert limit_rate(10, 50, 1, 12, h, 0.0, up, down)[:2] == (12, "TooManyReplicas")


def test_rate_counts_replicas_added_within_the_period():
    up, down = scaling_rules({})
    h = History.empty()
    h.record_scale(0.0, 2, 6)
    # 10 s later, still inside the 15 s period: the period started at 2 → limit max(4, 6).
    assert limit_rate(6, 50, 1, 100, h, 10.0, up, down)[0] == 6
    # 16 s later the period has moved on: from 6, up to 12.
    assert limit_rate(6, 50, 1, 100, h, 16.0, up, down)[0] == 12


def test_scale_down_waits_for_the_300_s_stabilization_window():
    up, down = scaling_rules({})
    h = History.empty()
    assert stabilize(h, 0.0, 10, 10, up, down)[0] == 10
    # Load drops: the recommendation is 2, but 10 was recommended within 300 s.
    got, reason, _ = stabilize(h, 15.0, 2, 10, up, down)
    assert (got, reason) == (10, "ScaleDownStabilized")
    assert stabilize(h, 299.0, 2, 10, up, down)[0] == 10
    # Past 300 s after the last high recommendation: the highest recent one is 2.
    assert stabilize(h, 301.0, 2, 10, up, down)[0] == 2


def test_behavior_overrides_window_and_policies():
    spec = {
        "behavior": {
            "scaleDown": {
                "stabilizationWindowSeconds": 0,
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
            },
            "scaleUp": {"selectPolicy": "Disabled"},
        }
    }
    up, down = scaling_rules(spec)
    assert up["policies"] == DEFAULT_SCALE_UP["policies"]
    h = History.empty()
    assert stabilize(h, 0.0, 2, 10, up, down)[0] == 2
    assert limit_rate(10, 2, 1, 20, h, 0.0, up, down)[:2] == (9, "ScaleDownLimit")
    assert limit_rate(10, 15, 1, 20, h, 0.0, up, down)[0] == 10  # scale-up disabled


def test_min_replicas_bounds_a_scale_down():
    up, down = scaling_rules({})
    assert limit_rate(4, 1, 2, 10, History.empty(), 0.0, up, down)[:2] == (2, "TooFewReplicas")


HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "model"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "model"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 50},
                },
            }
        ],
    },
}


def _with(path, value):
    import copy

    obj = copy.deepcopy(HPA)
    node = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return obj


def test_validate_accepts_the_course_shape():
    validate(HPA)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("apiVersion",), "autoscaling/v1", "apiVersion"),
        (("spec", "scaleTargetRef", "kind"), "StatefulSet", "spec.scaleTargetRef"),
        (("spec", "maxReplicas"), 1, "spec.maxReplicas"),
        (("spec", "minReplicas"), 0, "spec.minReplicas"),
        (("spec", "metrics", 0, "type"), "Pods", "spec.metrics[0].type"),
        (("spec", "metrics", 0, "resource", "name"), "memory", "spec.metrics[0].resource.name"),
        (
            ("spec", "metrics", 0, "resource", "target"),
            {"type": "AverageValue", "averageValue": "lots"},
            "spec.metrics[0].resource.target.averageValue",
        ),
        (("spec", "behavior"), {"scaleUp": {"tolerance": 0.05}}, "spec.behavior.scaleUp.tolerance"),
        (
            ("spec", "behavior"),
            {"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 4000}]}},
            "spec.behavior.scaleDown.policies[0].periodSeconds",
        ),
    ],
)
def test_validate_names_the_field_it_cannot_honour(path, value, field):
    with pytest.raises(ManifestError, match=re.escape(f"HorizontalPodAutoscaler {field}:")):
        validate(_with(path, value))
