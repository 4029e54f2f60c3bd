"""The HPA's replica calculator: the cpu formula, pure, and the pod samples it reads.

The documented algorithm
(kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details):
``replicas_for_cpu`` is ``desired = ceil(current * currentMetric / target)``, nothing
while the ratio is within the 0.1 tolerance, unready and metric-less pods handled
conservatively. ``pod_samples`` sorts a Deployment's pods into the groups it takes;
``cpu_target`` reads the target from an HPA's spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kubernetes.utils import parse_quantity

from helpers.sim.metrics import WINDOW_S

# 0.1: --horizontal-pod-autoscaler-tolerance default.
TOLERANCE = 0.1
# 300 s: --horizontal-pod-autoscaler-cpu-initialization-period default.
CPU_INITIALIZATION_PERIOD_S = 300.0
# 30 s: --horizontal-pod-autoscaler-initial-readiness-delay default.
INITIAL_READINESS_DELAY_S = 30.0
# 80 %: the CPU target autoscaling/v2 defaults to when spec.metrics is empty.
DEFAULT_CPU_UTILIZATION = 80


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


def _millicores(value) -> int:
    return math.ceil(parse_quantity(value) * 1000)


def cpu_target(spec: dict) -> tuple[int | None, int | None, str]:
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


def pod_samples(api, metrics, dep: dict, ns: str, now: float) -> list[PodSample]:
    """The pods of Deployment ``dep`` as the replica calculator sees them.

    ``api`` lists the pods (SimApiServer); ``metrics`` is the resource metrics API.
    """
    out = []
    for pod in api.list_objects("Pod", ns, dep["spec"]["selector"]):
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
        sample = metrics.pod_sample(name, ns)
        usage_m, stamp = (None, now) if sample is None else (round(sample[0] * 1000), sample[1])
        group = _group(pod, usage_m, metrics.pod_times(name, ns), now, stamp)
        out.append(PodSample(name, group, usage_m, request_m, no_request))
    return out


def _group(pod: dict, usage_m: int | None, times, now: float, stamp: float) -> str:
    """Sort a pod as the replica calculator does (groupPods in the controller).

    ``stamp`` is the metric's timestamp (the scrape that ended its window).
    """
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
        unready = not times.ready or stamp < times.ready_changed + WINDOW_S
    else:
        # Older pod: ignored only if it has never been Ready.
        unready = (
            not times.ready
            and times.first_started + INITIAL_READINESS_DELAY_S > times.ready_changed
        )
    return "unready" if unready else "ready"
