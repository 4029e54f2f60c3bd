"""The simulated HorizontalPodAutoscaler (autoscaling/v2): the controller loop.

``HPAController`` applies the documented algorithm
(kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details)
every 15 s to each HorizontalPodAutoscaler of a simulated cluster and writes the status,
conditions and events the real one writes. The arithmetic is pure functions, tested
alone: the cpu formula in ``replicas``, the ``behavior`` rules in ``rules``; the
manifest's validation in ``validate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.core.kinds import KINDS
from helpers.sim.clock import iso
from helpers.sim.hpa.replicas import MetricError, cpu_target, pod_samples, replicas_for_cpu
from helpers.sim.hpa.rules import History, limit_rate, scaling_rules, stabilize

if TYPE_CHECKING:
    from helpers.sim.context import Context

__all__ = ["SYNC_PERIOD_S", "HPAController"]

# 15 s: --horizontal-pod-autoscaler-sync-period default.
SYNC_PERIOD_S = 15.0


class HPAController:
    """Runs every HorizontalPodAutoscaler of a simulated cluster, every 15 s.

    Example:
        >>> cluster.apply("cluster/manifests/")   # Deployment (3 replicas), Service, HPA
        >>> cluster.sleep(120)                    # idle; the HPA syncs every 15 s
        >>> cluster.get("hpa", "model")["status"]["desiredReplicas"]   # its minReplicas
        2
    """

    def __init__(self, ctx: Context, dataplane):
        self._api, self._clock, self._events = ctx.api, ctx.clock, ctx.events
        self._plane = dataplane  # its .metrics: the resource metrics API, made on first use
        self._timers: dict[tuple[str, str], object] = {}
        self._history: dict[tuple[str, str], History] = {}
        self._warned: dict[tuple[str, str], str] = {}
        # The store's controller watch, not a subscriber: a subscriber makes the store
        # render a row for every change of every pod, which the 30,000-pod benchmark feels.
        ctx.store.watch("HorizontalPodAutoscaler", self._on_change)
        self.refresh()

    def refresh(self) -> None:
        """Start the sync loop of each new HPA; stop the loops of deleted ones."""
        present = {
            (o["metadata"].get("namespace", "default"), o["metadata"]["name"])
            for o in self._api.list_objects("HorizontalPodAutoscaler", None)
        }
        clock = self._clock
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
            self._clock.cancel(handle)
        self._timers.clear()

    def _on_change(self, obj, type_: str) -> None:
        if type_ != "MODIFIED":  # ADDED or DELETED: start or stop a loop
            self.refresh()

    def _sync(self, key: tuple[str, str]) -> None:
        clock = self._clock
        self._timers[key] = clock.call_at(clock.now + SYNC_PERIOD_S, self._sync, key)
        found = self._api.list_objects("HorizontalPodAutoscaler", key[0])
        hpa = next((o for o in found if o["metadata"]["name"] == key[1]), None)
        if hpa is None:
            self.refresh()
            return
        self.reconcile(hpa)

    # ---- one reconcile, as the real controller's reconcileAutoscaler ------------------
    def reconcile(self, hpa: dict) -> None:
        """Compute, rescale if needed, and write status, conditions and events for one HPA."""
        api, now = self._api, self._clock.now
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
        found = [d for d in api.list_objects("Deployment", ns) if d["metadata"]["name"] == target]
        if not found:
            missing = f'{KINDS["Deployment"].resource} "{target}" not found'
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
            util_target, value_target, metric_name = cpu_target(spec)
            try:
                proposal = replicas_for_cpu(
                    current,
                    pod_samples(api, self._plane.metrics, dep, ns, now),
                    util_target,
                    value_target,
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
            api.patch("Deployment", target, {"spec": {"replicas": desired}}, ns)
            condition(
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            self._events.record(
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

    def _warn(self, key: tuple[str, str], ref: str, reason: str, message: str) -> None:
        # A real Event repeats with a count; one event per new message keeps the log readable.
        if self._warned.get(key) == message:
            return
        self._warned[key] = message
        self._events.record(ref, "Warning", reason, message, namespace=key[0])
        if reason == "FailedGetResourceMetric":
            self._events.record(
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
            self._api.update_status(
                "HorizontalPodAutoscaler", meta["name"], meta.get("namespace", "default"), status
            )
