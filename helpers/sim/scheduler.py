"""The simulated kube-scheduler: filters, scoring, binding and FailedScheduling messages.

Filters, in the real plugin order: NodeUnschedulable, TaintToleration, NodeAffinity (node
selector and required affinity), NodeResourcesFit (requests vs allocatable, 110 pods).
Scoring spreads replicas of one owner across nodes first (default topology spreading),
then prefers the least allocated node. For speed at 1,000 nodes the untainted schedulable
nodes sit in buckets by allocation, so a pod looks at the emptiest buckets first instead of
scoring every node (in the spirit of percentageOfNodesToScore).
(kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.sim.interpod import Placement
from helpers.sim.nodes import MAX_PODS, Node, tolerates

if TYPE_CHECKING:
    from helpers.sim.context import Context

LEVELS = 101
# 1 s: the scheduler's initial back-off before retrying an unschedulable pod.
RETRY_S = 1.0
# 300 s: unschedulable pods are retried at least this often (podMaxInUnschedulablePodsDuration).
FLUSH_S = 300.0
# Filters whose failure preemption cannot fix ("Preemption is not helpful for scheduling").
UNRESOLVABLE = ("taint", "unschedulable", "affinity")


def _level(node: Node) -> int:
    frac = 0.5 * (node.cpu_req / node.cpu + node.mem_req / node.mem)
    return min(LEVELS - 1, max(0, int(frac * 100)))


def _label_ok(plan, node: Node) -> bool:
    labels = node.labels
    for key, value in plan.node_selector:
        if labels.get(key) != value:
            return False
    if not plan.affinity_terms:
        return True
    return any(all(_expr(e, labels, node.name) for e in term) for term in plan.affinity_terms)


def _expr(expr, labels, name) -> bool:
    key, op, values = expr
    have = name if key == "metadata.name" else labels.get(key)
    if op == "In":
        return have in values
    if op == "NotIn":
        return have not in values
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt") and have is not None and values:
        try:
            a, b = int(have), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


class Scheduler:
    """Binds pending pods to nodes; one attempt per pod per change, like the real queue."""

    def __init__(self, ctx: Context):
        self.store, self.clock, self.api, self.events = ctx.store, ctx.clock, ctx.api, ctx.events
        self.buckets: list[dict[str, Node]] = [{} for _ in range(LEVELS)]
        self.special: dict[str, Node] = {}  # tainted, cordoned or not ready nodes
        self.owner_counts: dict[str, dict[str, int]] = {}
        self.queue: dict[str, object] = {}
        self.unschedulable: dict[str, object] = {}
        self.anti_pods = 0  # bound pods with required anti-affinity (others must respect it)
        self._scheduled = False
        self._retry = None  # the pending flush's clock handle
        self._retry_at = float("inf")  # and when it is due
        self.store.watch("Node", lambda node, _type: self.node_changed(node))

    # ---- node bookkeeping ------------------------------------------------------------------
    def place_node(self, node: Node) -> None:
        """(Re)file a node after a change to its taints, readiness or allocation."""
        self.special.pop(node.name, None)
        if node.level >= 0:
            self.buckets[node.level].pop(node.name, None)
            node.level = -1
        if node.deleted:
            return
        hard = any(t["effect"] in ("NoSchedule", "NoExecute") for t in node.taints)
        if hard or node.unschedulable or node.ready != "True":
            self.special[node.name] = node
        else:
            node.level = _level(node)
            self.buckets[node.level][node.name] = node

    def node_changed(self, node: Node) -> None:
        """A node changed: refile it and give unschedulable pods another chance."""
        self.place_node(node)
        self.retry_soon()

    # ---- queue -----------------------------------------------------------------------------
    def add(self, pod) -> None:
        """Queue a pod that has no node."""
        self.queue[pod.uid] = pod
        if not self._scheduled:
            self._scheduled = True
            self.clock.call_at(self.clock.now, self._run)

    def retry_soon(self) -> None:
        """Room may have appeared (a pod left, a node changed): retry after the back-off.

        An earlier retry replaces the periodic 300 s flush; the real queue likewise moves
        unschedulable pods back on cluster events, not only on its timer.
        """
        if self.unschedulable:
            self._schedule_flush(self.clock.now + RETRY_S)

    def _schedule_flush(self, when: float) -> None:
        if when < self._retry_at:
            self.clock.cancel(self._retry)
            self._retry, self._retry_at = self.clock.call_at(when, self._flush), when

    def _flush(self) -> None:
        self._retry, self._retry_at = None, float("inf")
        pods, self.unschedulable = self.unschedulable, {}
        for pod in pods.values():
            if not pod.deleted and pod.node is None and not pod.terminating:
                self.add(pod)

    def _run(self) -> None:
        self._scheduled = False
        while self.queue:
            # Take the whole batch: popping a dict's first item one by one is quadratic.
            batch, self.queue = self.queue, {}
            for pod in batch.values():
                if pod.deleted or pod.node is not None or pod.terminating:
                    continue
                node = self.pick(pod)
                if node is None:
                    self._failed(pod)
                else:
                    self.api.bind(pod, node)

    # ---- choosing a node ----------------------------------------------------------------------
    def fits(self, pod, node: Node, check_taints: bool) -> bool:
        """Whether ``node`` passes every filter for ``pod``."""
        plan = pod.plan
        if len(node.pods) >= MAX_PODS:
            return False
        if plan.cpu_request and node.cpu_req + plan.cpu_request > node.cpu + 1e-9:
            return False
        if plan.memory_request and node.mem_req + plan.memory_request > node.mem:
            return False
        if (plan.node_selector or plan.affinity_terms) and not _label_ok(plan, node):
            return False
        if check_taints:
            if node.unschedulable and not tolerates(
                plan.tolerations,
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
            ):
                return False
            for taint in node.taints:
                if taint["effect"] != "PreferNoSchedule" and not tolerates(plan.tolerations, taint):
                    return False
            if node.ready != "True":
                return False
        return True

    def pick(self, pod) -> Node | None:
        """The best feasible node: fewest pods of the same owner, then least allocated."""
        if pod.plan.interpod is not None or self.anti_pods:
            return self._pick_constrained(pod)
        counts = self.owner_counts.get(pod.owner or pod.uid, {})
        # Levels ascend, so a node beats the best so far only with fewer pods of the owner:
        # the count, a dict look-up, is checked before the filters, and the first node
        # without a pod of the owner ends the search (no later, fuller level beats it).
        best, best_count, best_level = None, 0, 0
        for level, bucket in enumerate(self.buckets):
            if not bucket:
                continue
            for node in bucket.values():
                count = counts.get(node.name, 0)
                if best is not None and count >= best_count:
                    continue
                if self.fits(pod, node, False):
                    best, best_count, best_level = node, count, level
                    if count == 0:
                        break
            if best is not None and best_count == 0:
                break
        for node in self.special.values():
            if self.fits(pod, node, True):
                key = (counts.get(node.name, 0), _level(node))
                if best is None or key < (best_count, best_level):
                    best, best_count, best_level = node, key[0], key[1]
        return best

    def _all_nodes(self) -> list[Node]:
        return [n for b in self.buckets for n in b.values()] + list(self.special.values())

    def _placement(self, pod) -> Placement:
        # Spreading domains: every node the pod's node selector/affinity allows, tainted or
        # not (nodeTaintsPolicy: Ignore, the default), so a kind control plane counts.
        plan = pod.plan
        domains = [
            n
            for n in self._all_nodes()
            if not (plan.node_selector or plan.affinity_terms) or _label_ok(plan, n)
        ]
        return Placement(pod, domains, self.anti_pods)

    def _pick_constrained(self, pod) -> Node | None:
        """The slow path for pods with inter-pod rules (or near pods that have them)."""
        place = self._placement(pod)
        counts = self.owner_counts.get(pod.owner or pod.uid, {})
        best, best_key = None, None
        for node in self._all_nodes():
            if not self.fits(pod, node, True) or place.why_not(node) is not None:
                continue
            key = (place.penalty(node), counts.get(node.name, 0), _level(node))
            if best_key is None or key < best_key:
                best, best_key = node, key
        return best

    def account(self, pod, node: Node, sign: int) -> None:
        """Add (sign 1) or remove (sign -1) a pod's requests from its node."""
        plan = pod.plan
        node.cpu_req += sign * (plan.cpu_request or 0.0)
        node.mem_req += sign * (plan.memory_request or 0.0)
        if sign > 0:
            node.pods[pod.uid] = pod
            self.spread(pod, 1)
        else:
            node.pods.pop(pod.uid, None)
            self.spread(pod, -1)
        if plan.interpod is not None and plan.interpod.anti_required:
            self.anti_pods += sign
        if node.name not in self.special:
            self.place_node(node)  # refiled at the end of its bucket: ties rotate
        self.store.row_changed(node)  # requested resources and pod count changed

    def spread(self, pod, sign: int) -> None:
        """Count (1) or uncount (-1) a pod for spreading; terminating pods do not count."""
        if (sign > 0) == pod.spread_counted or pod.node is None:
            return
        pod.spread_counted = sign > 0
        owner = pod.owner or pod.uid
        counts = self.owner_counts.setdefault(owner, {})
        counts[pod.node] = counts.get(pod.node, 0) + sign
        if counts[pod.node] <= 0:
            del counts[pod.node]
            if not counts:
                del self.owner_counts[owner]

    # ---- failure ------------------------------------------------------------------------------
    def _failed(self, pod) -> None:
        message = self.explain(pod)
        self.unschedulable[pod.uid] = pod
        self.events.record(f"pod/{pod.name}", "Warning", "FailedScheduling", message, pod.namespace)
        self.api.unschedulable(pod, message)  # PodScheduled=False, through the API
        self._schedule_flush(self.clock.now + FLUSH_S)

    def explain(self, pod) -> str:
        """The FailedScheduling message: why each node was filtered out, as the real one says."""
        nodes = [n for b in self.buckets for n in b.values()] + list(self.special.values())
        reasons: dict[str, int] = {}
        victims = {"not helpful": 0, "no victims": 0}
        plan = pod.plan
        place = self._placement(pod)
        for node in nodes:
            why, kind = self._why(pod, plan, node, place)
            for w in why:
                reasons[w] = reasons.get(w, 0) + 1
            victims["not helpful" if kind in UNRESOLVABLE else "no victims"] += 1
        total = len(nodes)
        parts = sorted(f"{n} {r}" for r, n in reasons.items())
        pre = sorted(
            f"{n} {text}"
            for key, text in (("not helpful", "Preemption is not helpful for scheduling"), ("no victims", "No preemption victims found for incoming pod"))
            if (n := victims[key])
        )  # fmt: skip
        # The DynamicResources plugin's PostFilter runs before preemption and speaks first
        # (Kubernetes >= 1.34, DRA on by default), as kind v1.36.1 prints it.
        post = f"no new claims to deallocate, preemption: 0/{total} nodes are available: {', '.join(pre)}."
        return f"0/{total} nodes are available: {', '.join(parts)}. {post}"

    def _why(self, pod, plan, node: Node, place: Placement) -> tuple[list[str], str]:
        if node.unschedulable and not tolerates(
            plan.tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
        ):
            return ["node(s) were unschedulable"], "unschedulable"
        for taint in node.taints:
            if taint["effect"] != "PreferNoSchedule" and not tolerates(plan.tolerations, taint):
                # Current kube-schedulers no longer name the taint in the reason (kind
                # v1.36.1 prints exactly this); kubectl describe node shows which it is.
                return ["node(s) had untolerated taint(s)"], "taint"
        if (plan.node_selector or plan.affinity_terms) and not _label_ok(plan, node):
            return ["node(s) didn't match Pod's node affinity/selector"], "affinity"
        out = []
        if len(node.pods) >= MAX_PODS:
            out.append("Too many pods")
        if plan.cpu_request and node.cpu_req + plan.cpu_request > node.cpu + 1e-9:
            out.append("Insufficient cpu")
        if plan.memory_request and node.mem_req + plan.memory_request > node.mem:
            out.append("Insufficient memory")
        if out:
            return out, "resources"
        # PodTopologySpread and InterPodAffinity run after the resource filters.
        rule = place.why_not(node)
        if rule is not None:
            return [rule], "affinity" if "pod affinity rules" in rule else "resources"
        return out, "resources"
