"""Validation of a HorizontalPodAutoscaler manifest: what the simulator can honour.

``validate`` raises ManifestError naming the field (with a hint where one helps) for
anything beyond autoscaling/v2 with a Deployment target, Resource metrics on cpu with a
Utilization or AverageValue target, and ``behavior``.
"""

from __future__ import annotations

from kubernetes.utils import parse_quantity

from helpers.errors import ManifestError

_RULE_FIELDS = {"stabilizationWindowSeconds", "selectPolicy", "policies"}


def _fail(field: str, problem: str, hint: str | None = None) -> ManifestError:
    return ManifestError(f"HorizontalPodAutoscaler {field}: {problem}", hint)


def _whole(value, field: str, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise _fail(field, f"must be a whole number >= {low}, not {value!r}.")
    if high is not None and value > high:
        raise _fail(field, f"must be at most {high}, not {value}.")
    return value


def validate(obj: dict) -> None:
    """Raise ManifestError naming the field for an HPA the simulator cannot honour.

    Supported: autoscaling/v2, a Deployment target, Resource metrics on cpu with a
    Utilization or AverageValue target, and ``behavior``.

    Example:
        >>> validate({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", ...})
        Traceback (most recent call last):
        helpers.errors.ManifestError: HorizontalPodAutoscaler apiVersion: ...
    """
    if obj.get("apiVersion") != "autoscaling/v2":
        raise _fail(
            "apiVersion",
            f"{obj.get('apiVersion')!r} is not supported here.",
            "Write apiVersion: autoscaling/v2 (the stable HPA API since Kubernetes 1.23).",
        )
    spec = obj.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    if ref.get("kind") != "Deployment" or not ref.get("name"):
        raise _fail(
            "spec.scaleTargetRef",
            f"must name a Deployment (kind: Deployment, name: ...), not {ref!r}.",
        )
    if ref.get("apiVersion", "apps/v1") != "apps/v1":
        raise _fail(
            "spec.scaleTargetRef.apiVersion", f"must be apps/v1, not {ref['apiVersion']!r}."
        )
    low = _whole(spec.get("minReplicas", 1), "spec.minReplicas", 1)
    high = _whole(spec.get("maxReplicas"), "spec.maxReplicas", 1)
    if high < low:
        raise _fail("spec.maxReplicas", f"({high}) must be >= spec.minReplicas ({low}).")
    for i, metric in enumerate(spec.get("metrics") or []):
        _validate_metric(metric, f"spec.metrics[{i}]")
    behavior = spec.get("behavior") or {}
    for direction in ("scaleUp", "scaleDown"):
        _validate_rules(behavior.get(direction) or {}, f"spec.behavior.{direction}")


def _validate_metric(metric: dict, where: str) -> None:
    if metric.get("type") != "Resource":
        raise _fail(
            f"{where}.type",
            f"{metric.get('type')!r} metrics need an adapter this course does not run.",
            "Use type: Resource with resource.name: cpu.",
        )
    res = metric.get("resource") or {}
    if res.get("name") != "cpu":
        raise _fail(f"{where}.resource.name", f"only cpu is simulated, not {res.get('name')!r}.")
    target = res.get("target") or {}
    kind = target.get("type")
    if kind == "Utilization":
        _whole(target.get("averageUtilization"), f"{where}.resource.target.averageUtilization", 1)
    elif kind == "AverageValue":
        try:
            value = parse_quantity(target.get("averageValue"))
        except (ValueError, TypeError):
            raise _fail(
                f"{where}.resource.target.averageValue",
                f"{target.get('averageValue')!r} is not a quantity (e.g. 200m).",
            ) from None
        if value <= 0:
            raise _fail(f"{where}.resource.target.averageValue", "must be above 0.")
    else:
        raise _fail(
            f"{where}.resource.target.type",
            f"must be Utilization or AverageValue for cpu, not {kind!r}.",
        )


def _validate_rules(rules: dict, where: str) -> None:
    for field in sorted(set(rules) - _RULE_FIELDS):
        hint = None
        if field == "tolerance":
            hint = "tolerance is alpha (HPAConfigurableTolerance); remove it: 0.1 applies."
        raise _fail(f"{where}.{field}", "is not a field this simulator honours.", hint)
    if "stabilizationWindowSeconds" in rules:
        _whole(rules["stabilizationWindowSeconds"], f"{where}.stabilizationWindowSeconds", 0, 3600)
    if rules.get("selectPolicy", "Max") not in ("Max", "Min", "Disabled"):
        raise _fail(f"{where}.selectPolicy", "must be Max, Min or Disabled.")
    for i, policy in enumerate(rules.get("policies") or []):
        if policy.get("type") not in ("Pods", "Percent"):
            raise _fail(f"{where}.policies[{i}].type", "must be Pods or Percent.")
        _whole(policy.get("value"), f"{where}.policies[{i}].value", 1)
        _whole(policy.get("periodSeconds"), f"{where}.policies[{i}].periodSeconds", 1, 1800)
    if "policies" in rules and not rules["policies"]:
        raise _fail(f"{where}.policies", "must hold at least one policy when given.")
