"""Inter-pod placement rules: pod (anti-)affinity and topology spread, per node (hostname).

The simulated nodes carry no zone labels, so the only topology the simulator honours is
``kubernetes.io/hostname`` (one domain per node); anything else is a ManifestError.
Required rules filter nodes, preferred ones and ScheduleAnyway spreading only score.
(kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity,
kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/)
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.core import labels
from helpers.errors import ManifestError

HOSTNAME = "kubernetes.io/hostname"
TERM_KEYS = {"labelSelector", "topologyKey"}
SPREAD_KEYS = {"maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector"}


@dataclass(frozen=True)
class InterPod:
    """Parsed rules; each selector is a tuple of helpers.core.labels requirements."""

    anti_required: tuple = ()
    affinity_required: tuple = ()
    anti_preferred: tuple = ()  # (weight, selector)
    spread: tuple = ()  # (maxSkew, hard, selector)


def _selector(term: dict, field: str) -> tuple:
    unknown = set(term) - TERM_KEYS
    if unknown:
        raise ManifestError(
            f"{field}.{sorted(unknown)[0]} is not supported by the simulator (same-namespace rules only)."
        )
    if term.get("topologyKey") != HOSTNAME:
        raise ManifestError(
            f"{field}.topologyKey: {term.get('topologyKey')!r} is not simulated.",
            f"The simulated nodes have no zones; use topologyKey: {HOSTNAME}.",
        )
    return tuple(labels.parse(term.get("labelSelector") or {}))


def parse(spec: dict, field: str) -> InterPod | None:
    """The pod's inter-pod rules, or None when it has none."""
    affinity = spec.get("affinity") or {}
    anti = affinity.get("podAntiAffinity") or {}
    aff = affinity.get("podAffinity") or {}
    spread = spec.get("topologySpreadConstraints") or []
    if not (anti or aff or spread):
        return None
    for name, block in (("podAntiAffinity", anti), ("podAffinity", aff)):
        extra = set(block) - {
            "requiredDuringSchedulingIgnoredDuringExecution",
            "preferredDuringSchedulingIgnoredDuringExecution",
        }
        if extra:
            raise ManifestError(f"{field}.affinity.{name}.{sorted(extra)[0]} is not a known field.")
    if aff.get("preferredDuringSchedulingIgnoredDuringExecution"):
        raise ManifestError(
            f"{field}.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution is not supported by the simulator."
        )
    req = "requiredDuringSchedulingIgnoredDuringExecution"
    pref = "preferredDuringSchedulingIgnoredDuringExecution"
    out_spread = []
    for i, c in enumerate(spread):
        f = f"{field}.topologySpreadConstraints[{i}]"
        unknown = set(c) - SPREAD_KEYS
        if unknown:
            raise ManifestError(f"{f}.{sorted(unknown)[0]} is not supported by the simulator.")
        skew = c.get("maxSkew")
        if not isinstance(skew, int) or skew < 1:
            raise ManifestError(f"{f}.maxSkew: {skew!r} must be a whole number >= 1.")
        when = c.get("whenUnsatisfiable")
        if when not in ("DoNotSchedule", "ScheduleAnyway"):
            raise ManifestError(f"{f}.whenUnsatisfiable: use DoNotSchedule or ScheduleAnyway.")
        out_spread.append(
            (
                skew,
                when == "DoNotSchedule",
                _selector({k: c[k] for k in ("labelSelector", "topologyKey") if k in c}, f),
            )
        )
    return InterPod(
        anti_required=tuple(
            _selector(t, f"{field}.affinity.podAntiAffinity.{req}[{i}]")
            for i, t in enumerate(anti.get(req) or [])
        ),
        affinity_required=tuple(
            _selector(t, f"{field}.affinity.podAffinity.{req}[{i}]")
            for i, t in enumerate(aff.get(req) or [])
        ),
        anti_preferred=tuple(
            (
                int(t.get("weight", 1)),
                _selector(
                    t.get("podAffinityTerm") or {},
                    f"{field}.affinity.podAntiAffinity.{pref}[{i}].podAffinityTerm",
                ),
            )
            for i, t in enumerate(anti.get(pref) or [])
        ),
        spread=tuple(out_spread),
    )


def _matching(node, selector, namespace, terminating: bool = True) -> int:
    """Pods on ``node`` in ``namespace`` that ``selector`` matches.

    Terminating pods count for pod (anti-)affinity: the scheduler's NodeInfo keeps a pod
    until it is deleted and the interpodaffinity plugin never looks at deletionTimestamp,
    so a one-per-node rollout waits for the old pod to be gone. Topology spreading leaves
    them out (``terminating=False``; plugins/podtopologyspread/common.go skips pods with a
    deletionTimestamp). (kubernetes v1.36 pkg/scheduler/framework/plugins)
    """
    return sum(
        1
        for p in node.pods.values()
        if p.namespace == namespace
        and (terminating or not p.terminating)
        and labels.matches(list(selector), p.labels)
    )


class Placement:
    """The per-pick view of inter-pod rules for one pod over the candidate nodes."""

    def __init__(self, pod, nodes: list, anti_pods: int):
        self.pod = pod
        self.rules = pod.plan.interpod
        self.check_existing = anti_pods > 0
        self.spread_min: list[int] = []
        if self.rules is not None:
            for _skew, _hard, sel in self.rules.spread:
                counts = [_matching(n, sel, pod.namespace, terminating=False) for n in nodes]
                self.spread_min.append(min(counts) if counts else 0)
            self.affinity_anywhere = [
                any(_matching(n, sel, pod.namespace) for n in nodes)
                for sel in self.rules.affinity_required
            ]

    def why_not(self, node) -> str | None:
        """Why ``node`` fails a required rule, or None if it passes."""
        pod, rules = self.pod, self.rules
        if rules is not None:
            for sel in rules.anti_required:
                if _matching(node, sel, pod.namespace):
                    return "node(s) didn't match pod anti-affinity rules"
            for sel, anywhere in zip(rules.affinity_required, self.affinity_anywhere, strict=True):
                # The first pod of a group that selects itself may go anywhere.
                if not _matching(node, sel, pod.namespace) and (
                    anywhere or not labels.matches(list(sel), pod.labels)
                ):
                    return "node(s) didn't match pod affinity rules"
            for (skew, hard, sel), low in zip(rules.spread, self.spread_min, strict=True):
                if hard and _matching(node, sel, pod.namespace, False) + 1 - low > skew:
                    return "node(s) didn't match pod topology spread constraints"
        if self.check_existing:
            for other in node.pods.values():
                rules_o = other.plan.interpod
                if rules_o is None or other.namespace != pod.namespace:
                    continue
                if any(labels.matches(list(sel), pod.labels) for sel in rules_o.anti_required):
                    return "node(s) didn't satisfy existing pods anti-affinity rules"
        return None

    def penalty(self, node) -> int:
        """Score penalty from preferred anti-affinity and ScheduleAnyway spreading."""
        rules = self.rules
        if rules is None:
            return 0
        total = sum(
            w for w, sel in rules.anti_preferred if _matching(node, sel, self.pod.namespace)
        )
        for (_skew, hard, sel), low in zip(rules.spread, self.spread_min, strict=True):
            if not hard:
                total += _matching(node, sel, self.pod.namespace, False) - low
        return total
