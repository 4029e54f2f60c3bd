"""The simulated HorizontalPodAutoscaler (autoscaling/v2): validation, the formula, the loop.

The arithmetic follows the documented algorithm and the controller it describes
(kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details):
``desired = ceil(current * currentMetric / target)``, nothing while the ratio is within
the 0.1 tolerance, unready and metric-less pods handled conservatively, then the
``behavior`` stabilization windows and rate policies. The arithmetic is pure functions
(tested alone); ``HPAController`` applies it every 15 s to each HorizontalPodAutoscaler
of a simulated cluster and writes the status, conditions and events the real one writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kubernetes.utils import parse_quantity

from helpers.errors import ManifestError
from helpers.sim.clock import iso
from helpers.sim.metrics import WINDOW_S

# 0.1: --horizontal-pod-autoscaler-tolerance default.
TOLERANCE = 0.1
# 15 s: --horizontal-pod-autoscaler-sync-period default.
SYNC_PERIOD_S = 15.0
# 300 s: --horizontal-pod-autoscaler-cpu-initialization-period default.
CPU_INITIALIZATION_PERIOD_S = 300.0
# 30 s: --horizontal-pod-autoscaler-initial-readiness-delay default.
INITIAL_READINESS_DELAY_S = 30.0
# 80 %: the CPU target autoscaling/v2 defaults to when spec.metrics is empty.
DEFAULT_CPU_UTILIZATION = 80

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

_SPEC_FIELDS = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior"}
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
    for field in sorted(set(spec) - _SPEC_FIELDS):
        raise _fail(f"spec.{field}", "is not a field this simulator honours.")
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
    for field in sorted(set(behavior) - {"scaleUp", "scaleDown"}):
        raise _fail(f"spec.behavior.{field}", "is not a field of behavior.")
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


def scaling_rules(spec: dict) -> tuple[dict, dict]:
    """The scaleUp and scaleDown rules with the API server's defaults filled in."""
    behavior = spec.get("behavior") or {}
    out = []
    for direction, default in (("scaleUp", DEFAULT_SCALE_UP), ("scaleDown", DEFAULT_SCALE_DOWN)):
        given = behavior.get(direction) or {}
        out.append({key: given.get(key, value) for key, value in default.items()})
    return out[0], out[1]


@dataclass(frozen=True)
class PodSample:
    """One pod as the replica calculator sees it."""

    name: str
    group: str  # "ready", "unready", "missing" or "ignored"
    usage_m: int | None = None  # CPU use in millicores; None: no metrics for it
    request_m: int = 0  # CPU requested by all its containers, millicores
    no_request: str | None = None  # the name of a container without a cpu request


class MetricError(Exception):
    """The metric cannot be computed; the message is what the real controller reports."""


@dataclass(frozen=True)
class Proposal:
    """What one metric asks for: replicas, and the current value for the status."""

    replicas: int
    utilization: int | None  # percent of requests (Utilization targets)
    average_m: int  # average use per pod, millicores


def replicas_for_cpu(
    current: int,
    pods: list[PodSample],
    target_utilization: int | None = None,
    target_average_m: int | None = None,
    tolerance: float = TOLERANCE,
) -> Proposal:
    """The replica count one cpu metric asks for (the documented algorithm).

    Example:
        >>> pods = [PodSample("a", "ready", 200, 100), PodSample("b", "ready", 100, 100)]
        >>> replicas_for_cpu(2, pods, target_utilization=50).replicas
        3
    """
    if not any(p.usage_m is not None for p in pods):
        raise MetricError(
            "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
        )
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    counted = {p.name: p.usage_m for p in pods if p.group == "ready"}
    unready = [p for p in pods if p.group == "unready"]
    missing = [p for p in pods if p.group == "missing"]
    if not counted:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    requests = {p.name: p.request_m for p in pods}
    if target_utilization is not None:
        lacking = next((p for p in pods if p.no_request), None)
        if lacking is not None:
            raise MetricError(
                f"missing request for cpu in container {lacking.no_request} of Pod {lacking.name}"
            )

    def ratio(values: dict[str, int]) -> tuple[float, int | None, int]:
        average = sum(values.values()) // len(values)
        if target_utilization is None:
            return average / target_average_m, None, average
        requested = sum(requests[name] for name in values)
        if requested == 0:
            raise MetricError("no metrics returned matched known pods")
        util = sum(values.values()) * 100 // requested  # integer percent, as the controller
        return util / target_utilization, util, average

    usage_ratio, util, average = ratio(counted)
    scale_up_with_unready = bool(unready) and usage_ratio > 1.0
    if not scale_up_with_unready and not missing:
        if abs(1.0 - usage_ratio) <= tolerance:
            return Proposal(current, util, average)
        return Proposal(math.ceil(usage_ratio * len(counted)), util, average)
    filled = dict(counted)
    if usage_ratio < 1.0:
        # On a scale-down, pods without metrics count as using the target (at least 100 %).
        for p in missing:
            if target_utilization is None:
                filled[p.name] = target_average_m
            else:
                filled[p.name] = requests[p.name] * max(100, target_utilization) // 100
    elif usage_ratio > 1.0:
        for p in missing:
            filled[p.name] = 0  # on a scale-up, pods without metrics count as idle
    if scale_up_with_unready:
        for p in unready:
            filled[p.name] = 0
    new_ratio = ratio(filled)[0]
    if (
        abs(1.0 - new_ratio) <= tolerance
        or (usage_ratio < 1.0 < new_ratio)
        or (usage_ratio > 1.0 > new_ratio)
    ):
        return Proposal(current, util, average)
    proposed = math.ceil(new_ratio * len(filled))
    if (new_ratio < 1.0 and proposed > current) or (new_ratio > 1.0 and proposed < current):
        return Proposal(current, util, average)
    return Proposal(proposed, util, average)


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


def _millicores(value) -> int:
    return math.ceil(parse_quantity(value) * 1000)


def _target(spec: dict) -> tuple[int | None, int | None, str]:
    """(averageUtilization, averageValue in millicores, the metric's name in messages)."""
    metrics = spec.get("metrics") or [
        {"resource": {"target": {"type": "Utilization", "averageUtilization": 80}}}
    ]
    target = metrics[0]["resource"]["target"]
    if target["type"] == "Utilization":
        return (
            target["averageUtilization"],
            None,
            "cpu resource utilization (percentage of request)",
        )
    return None, _millicores(target["averageValue"]), "cpu resource"


class HPAController:
    """Runs every HorizontalPodAutoscaler of a simulated cluster, every 15 s.

    Example:
        >>> cluster.apply("cluster/manifests/")   # Deployment (3 replicas), Service, HPA
        >>> cluster.sleep(120)                    # idle; the HPA syncs every 15 s
        >>> cluster.get("hpa", "model")["status"]["desiredReplicas"]   # its minReplicas
        2
    """

    def __init__(self, sim):
        self._sim = sim
        self._timers: dict[tuple[str, str], object] = {}
        self._history: dict[tuple[str, str], History] = {}
        self._warned: dict[tuple[str, str], str] = {}
        # The store's controller watch, not sim.subscribe: a subscriber makes the store
        # render a row for every change of every pod, which the 30,000-pod benchmark feels.
        sim.store.watch("HorizontalPodAutoscaler", self._on_change)
        self.refresh()

    def refresh(self) -> None:
        """Start the sync loop of each new HPA; stop the loops of deleted ones."""
        present = {
            (o["metadata"].get("namespace", "default"), o["metadata"]["name"])
            for o in self._sim.list_objects("HorizontalPodAutoscaler", None)
        }
        clock = self._sim.clock
        for key in sorted(present - set(self._timers)):
            # A new HPA is reconciled at once (the informer queues it), then every 15 s.
            self._timers[key] = clock.call_at(clock.now, self._sync, key)
        for key in set(self._timers) - present:
            clock.cancel(self._timers.pop(key))
            self._history.pop(key, None)
            self._warned.pop(key, None)

    def close(self) -> None:
        """Stop every loop."""
        for handle in self._timers.values():
            self._sim.clock.cancel(handle)
        self._timers.clear()

    def _on_change(self, obj, type_: str) -> None:
        if type_ != "MODIFIED":  # ADDED or DELETED: start or stop a loop
            self.refresh()

    def _sync(self, key: tuple[str, str]) -> None:
        clock = self._sim.clock
        self._timers[key] = clock.call_at(clock.now + SYNC_PERIOD_S, self._sync, key)
        found = self._sim.list_objects("HorizontalPodAutoscaler", key[0])
        hpa = next((o for o in found if o["metadata"]["name"] == key[1]), None)
        if hpa is None:
            self.refresh()
            return
        self.reconcile(hpa)

    # ---- one reconcile, as the real controller's reconcileAutoscaler ------------------
    def reconcile(self, hpa: dict) -> None:
        """Compute, rescale if needed, and write status, conditions and events for one HPA."""
        sim, now = self._sim, self._sim.now()
        meta, spec = hpa["metadata"], hpa["spec"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        key, ref = (ns, name), f"horizontalpodautoscaler/{name}"
        old_status = hpa.get("status") or {}
        status = dict(old_status)
        conditions = {c["type"]: c for c in old_status.get("conditions") or []}

        def condition(type_: str, value: str, reason: str, message: str) -> None:
            old = conditions.get(type_)
            same = old is not None and old["status"] == value
            since = old["lastTransitionTime"] if same else iso(now)
            conditions[type_] = {
                "type": type_,
                "status": value,
                "lastTransitionTime": since,
                "reason": reason,
                "message": message,
            }

        target = spec["scaleTargetRef"]["name"]
        found = [d for d in sim.list_objects("Deployment", ns) if d["metadata"]["name"] == target]
        if not found:
            missing = f'deployments.apps "{target}" not found'
            condition(
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {missing}",
            )
            self._warn(key, ref, "FailedGetScale", missing)
            self._write(hpa, status, conditions)
            return
        dep = found[0]
        condition(
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        current = int(dep["spec"].get("replicas", 1))
        low, high = int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])
        history = self._history.setdefault(key, History.empty())
        status["currentReplicas"] = current
        reason_text, rescale = "", True
        if current == 0 and low != 0:
            desired, rescale = 0, False
            condition(
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        elif current > high:
            desired, reason_text = high, "Current number of replicas above Spec.MaxReplicas"
        elif current < low:
            desired, reason_text = low, "Current number of replicas below Spec.MinReplicas"
        else:
            util_target, value_target, metric_name = _target(spec)
            try:
                proposal = replicas_for_cpu(
                    current, self._samples(dep, ns, now), util_target, value_target
                )
            except MetricError as err:
                what = "utilization" if util_target is not None else "usage"
                detail = f"failed to get cpu {what}: {err}"
                condition(
                    "ScalingActive",
                    "False",
                    "FailedGetResourceMetric",
                    f"the HPA was unable to compute the replica count: {detail}",
                )
                self._warn(key, ref, "FailedGetResourceMetric", detail)
                status.pop("currentMetrics", None)  # kubectl shows <unknown>
                self._write(hpa, status, conditions)
                return
            self._warned.pop(key, None)
            condition(
                "ScalingActive",
                "True",
                "ValidMetricFound",
                f"the HPA was able to successfully calculate a replica count from {metric_name}",
            )
            current_value = {"averageValue": f"{proposal.average_m}m"}
            if proposal.utilization is not None:
                current_value["averageUtilization"] = proposal.utilization
            status["currentMetrics"] = [
                {"type": "Resource", "resource": {"name": "cpu", "current": current_value}}
            ]
            desired = proposal.replicas
            if desired > current:
                reason_text = f"{metric_name} above target"
            elif desired < current:
                reason_text = "All metrics below target"
            up, down = scaling_rules(spec)
            stable, why, message = stabilize(history, now, desired, current, up, down)
            if stable != desired:
                condition("AbleToScale", "True", why, message)
            else:
                condition(
                    "AbleToScale",
                    "True",
                    "ReadyForNewScale",
                    "recommended size matches current size",
                )
            desired, why, message = limit_rate(current, stable, low, high, history, now, up, down)
            condition("ScalingLimited", "False" if desired == stable else "True", why, message)
            rescale = desired != current
        if rescale:
            sim.patch("Deployment", target, {"spec": {"replicas": desired}}, ns)
            condition(
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            sim.record_event(
                ref,
                "Normal",
                "SuccessfulRescale",
                f"New size: {desired}; reason: {reason_text}",
                namespace=ns,
            )
            history.record_scale(now, current, desired)
            status["lastScaleTime"] = iso(now)
        status["desiredReplicas"] = desired
        self._write(hpa, status, conditions)

    def _samples(self, dep: dict, ns: str, now: float) -> list[PodSample]:
        metrics = self._sim.metrics
        out = []
        for pod in self._sim.list_objects("Pod", ns, dep["spec"]["selector"]):
            name = pod["metadata"]["name"]
            request_m, no_request = 0, None
            for c in pod["spec"]["containers"]:
                res = c.get("resources") or {}
                # A limit without a request makes the API server default the request to it.
                cpu = (res.get("requests") or {}).get("cpu", (res.get("limits") or {}).get("cpu"))
                if cpu is None:
                    no_request = no_request or c["name"]
                else:
                    request_m += _millicores(cpu)
            usage = metrics.pod_cpu(name, ns)
            usage_m = None if usage is None else round(usage * 1000)
            group = _group(pod, usage_m, metrics.pod_times(name, ns), now)
            out.append(PodSample(name, group, usage_m, request_m, no_request))
        return out

    def _warn(self, key: tuple[str, str], ref: str, reason: str, message: str) -> None:
        # A real Event repeats with a count; one event per new message keeps the log readable.
        if self._warned.get(key) == message:
            return
        self._warned[key] = message
        self._sim.record_event(ref, "Warning", reason, message, namespace=key[0])
        if reason == "FailedGetResourceMetric":
            self._sim.record_event(
                ref,
                "Warning",
                "FailedComputeMetricsReplicas",
                "invalid metrics (1 invalid out of 1), first error is: failed to get cpu "
                f"resource metric value: {message}",
                namespace=key[0],
            )

    def _write(self, hpa: dict, status: dict, conditions: dict) -> None:
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        status.setdefault("desiredReplicas", 0)  # the API shows 0 before the first decision
        status["conditions"] = [
            conditions[t]
            for t in ("AbleToScale", "ScalingActive", "ScalingLimited")
            if t in conditions
        ]
        if status != (hpa.get("status") or {}):  # as updateStatusIfNeeded: no write, no change
            meta = hpa["metadata"]
            self._sim.set_status(
                "HorizontalPodAutoscaler", meta["name"], meta.get("namespace", "default"), status
            )


def _group(pod: dict, usage_m: int | None, times, now: float) -> str:
    """Sort a pod as the replica calculator does (groupPods in the controller)."""
    phase = (pod.get("status") or {}).get("phase")
    if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
        return "ignored"
    if phase == "Pending":
        return "unready"
    if usage_m is None:
        return "missing"
    if times is None or times.first_started is None:
        return "unready"
    if now < times.first_started + CPU_INITIALIZATION_PERIOD_S:
        # Young pod: its sample counts only if Ready for a whole metrics window.
        unready = not times.ready or now < times.ready_changed + WINDOW_S
    else:
        # Older pod: ignored only if it has never been Ready.
        unready = (
            not times.ready
            and times.first_started + INITIAL_READINESS_DELAY_S > times.ready_changed
        )
    return "unready" if unready else "ready"
