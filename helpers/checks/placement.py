"""Exercise checks on where pods run and what limits them: nodes, spreading, requests,
scheduling failures, drains, PodDisruptionBudgets and autoscalers.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.checks import files
from helpers.checks.result import CheckResult, Verdict, converge, need
from helpers.checks.workloads import find_deployment
from helpers.core import labels
from helpers.errors import NotFound


def worker_count(cluster, answer) -> CheckResult:
    """The student's count of worker nodes that can run pods matches the cluster.

    Example:
        >>> helpers.checks.worker_count(cluster, 2)
        ✓ you counted the worker nodes
    """
    workers = [n for n in cluster.snapshot()["nodes"] if n["role"] == "worker"]
    ok = answer == len(workers)
    hint = (
        "Count the rows of cluster.nodes() whose role is 'worker' (kubectl get nodes): "
        "the control-plane node runs the cluster's own components, not your pods."
    )
    return CheckResult("you counted the worker nodes", ok, f"your answer: {answer!r}", hint)


def _last_scheduling_message(cluster, pod: str) -> str:
    """The message of the last FailedScheduling event of ``pod`` ("" when there is none)."""
    events = cluster.events()
    mine = events[(events["reason"] == "FailedScheduling") & (events["object"] == f"pod/{pod}")]
    return "" if mine.empty else str(mine.iloc[-1]["message"])


def _pending_hint(cluster, pod: dict) -> str:
    """What keeps ``pod`` Pending, from its FailedScheduling event, aimed at the likely fix."""
    message = _last_scheduling_message(cluster, pod["name"])
    if not message:
        return f"Pod {pod['name']} is Pending and not yet scheduled: look at cluster.events()."
    reasons = "; ".join(reason for _, reason in scheduling_reasons(message)) or message
    head = f"Pod {pod['name']} is Pending: {reasons}."
    if "untolerated taint" in message:
        try:
            tolerations = cluster.get("Pod", pod["name"])["spec"].get("tolerations") or []
        except NotFound:
            tolerations = []
        own = [
            t
            for t in tolerations
            if t.get("key") != "node.kubernetes.io/not-ready"
            and t.get("key") != "node.kubernetes.io/unreachable"
        ]
        return (
            f"{head} A toleration must match the taint: the same key, operator Exists (or "
            "Equal with its value) and the same effect (kubectl describe node shows taints). "
            + (f"This pod tolerates {own}." if own else "This pod has no toleration of its own.")
        )
    owner = pod.get("owner")
    hashes = {
        p["labels"].get("pod-template-hash")
        for p in cluster.snapshot()["pods"]
        if owner and p.get("owner") == owner and p["status"] != "Terminating"
    }
    if "anti-affinity" in message and len(hashes) > 1:
        return (
            f"{head} deployment/{owner} is mid-rollout: maxSurge 1 wants one pod more than "
            "there are nodes, required anti-affinity leaves it nowhere to go, and "
            "maxUnavailable 0 lets no old pod leave first, so the rollout is stuck. Delete "
            f'the Deployment first (cluster.delete("deployment", "{owner}")), then apply it '
            "(or use maxSurge: 0, maxUnavailable: 1)."
        )
    return f"{head} (kubectl describe pod {pod['name']})"


def spread(cluster, selector: str, nodes: int = 2) -> CheckResult:
    """Ready pods matching ``selector`` run on at least ``nodes`` nodes, and none is Pending.

    A Pending pod fails the check even when enough nodes are covered (a stuck rolling update
    leaves one); the hint reads its FailedScheduling event: an untolerated taint, or
    anti-affinity blocking a surge pod.

    Example:
        >>> helpers.checks.spread(cluster, "app=model", nodes=2)
        ✓ pods app=model run on at least 2 nodes, none Pending
    """
    reqs = labels.parse(selector)

    def look(c) -> Verdict:
        pods = [
            p
            for p in c.snapshot()["pods"]
            if labels.matches(reqs, p["labels"]) and p["status"] != "Terminating"
        ]
        where = sorted({p["node"] for p in pods if p["ready"] and p["node"]})
        pending = [p for p in pods if not p["node"]]
        seen = f"{len(pods)} pod(s); Ready ones on {', '.join(where) or 'no node'}" + (
            f"; {len(pending)} Pending" if pending else ""
        )
        if len(pods) < nodes:
            return Verdict(
                False,
                seen,
                f"Fewer than {nodes} pods match {selector!r}: scale up first, e.g. "
                f'cluster.scale("model", {nodes + 1}).',
            )
        if pending:
            return Verdict(False, seen, _pending_hint(c, pending[0]), settling=True)
        return Verdict(
            len(where) >= nodes,
            seen,
            "The pods sit on too few nodes: is a node cordoned or stopped? Look at "
            "cluster.nodes() (kubectl get nodes).",
            settling=True,
        )

    return converge(cluster, f"pods {selector} run on at least {nodes} nodes, none Pending", look)


def requests(cluster, deployment: str, cpu: str | None = None, memory: str | None = None):
    """The first container of deployment/<name> requests ``cpu`` and ``memory``.

    Example:
        >>> helpers.checks.requests(cluster, "model", cpu="250m")
        ✓ deployment/model requests cpu=250m
    """
    need(cpu or memory, "say which request to check: cpu=... and/or memory=...", 'cpu="250m"')
    want = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    goal = f"deployment/{deployment} requests " + ", ".join(f"{k}={v}" for k, v in want.items())
    try:
        dep = cluster.get("Deployment", deployment)
    except NotFound:
        return CheckResult(goal, False, f"no deployment/{deployment}", "Apply the manifest first.")
    have = dep["spec"]["template"]["spec"]["containers"][0].get("resources", {}).get("requests")
    have = have or {}
    wrong = {k: v for k, v in want.items() if str(have.get(k)) != v}
    seen = f"requests {have or 'none'}"
    hint = ""
    if wrong:
        key, value = next(iter(wrong.items()))
        hint = (
            f"Set spec.template.spec.containers[0].resources.requests.{key}: {value!r} in the "
            f"manifest and apply it again (kubectl set resources deployment/{deployment} "
            f"--requests={key}={value})."
        )
    return CheckResult(goal, not wrong, seen, hint)


# The taint kind (kubeadm) puts on the control-plane node: the reason that names it is
# about that node, not about the workers.
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"


def scheduling_reasons(message: str) -> list[tuple[int, str]]:
    """The per-node reasons of a FailedScheduling message, as (node count, reason).

    The scheduler words it "0/3 nodes are available: 1 node(s) had untolerated taint(s),
    2 Insufficient cpu. no new claims to deallocate, preemption: ..." (kube-scheduler's
    FitError, as kind v1.36.1 prints it; older releases name the taint, "untolerated taint
    {key: value}", and have no DRA sentence). Only the first sentence, the filters' reasons,
    is kept: what the PostFilter plugins (DRA, preemption) add is left out.

    Example:
        >>> scheduling_reasons("0/3 nodes are available: 2 Insufficient cpu. preemption: ...")
        [(2, 'Insufficient cpu')]
    """
    head = message.split(". ", 1)[0].rstrip(".")
    _, _, reasons = head.partition("available: ")
    out = []
    for part in re.split(r", (?=\d+ )", reasons):
        count, _, reason = part.strip().partition(" ")
        if count.isdigit():
            out.append((int(count), reason.removeprefix("node(s) ").strip()))
    return out


def _control_plane_reasons(cluster, reasons: list[str]) -> list[str]:
    """The reasons that are about the control-plane node: its taint, named or not.

    An older scheduler names the taint; a current one says only "had untolerated taint(s)",
    which is the control plane's when no other node carries a NoSchedule or NoExecute taint.
    """
    named = [r for r in reasons if CONTROL_PLANE_TAINT in r]
    if named:
        return named
    tainted = [
        n
        for n in cluster.snapshot()["nodes"]
        if any(t.endswith((":NoSchedule", ":NoExecute")) for t in n["taints"])
    ]
    if tainted and all(any(CONTROL_PLANE_TAINT in t for t in n["taints"]) for n in tainted):
        return [r for r in reasons if "untolerated taint" in r]
    return []


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def pending_reason(cluster, answer: str, nodes: str = "workers") -> CheckResult:
    """The answer names, as the event words it, why ``nodes`` refused the Pending pod.

    Reads the last FailedScheduling event. ``nodes="workers"`` accepts only a reason that is
    about the workers (the control-plane node's untolerated taint is not); ``"any"``
    accepts any reason in the message.
    (https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/#kube-scheduler-implementation)

    Example:
        >>> helpers.checks.pending_reason(cluster, "Insufficient cpu")
        ✓ you found why the workers refused the Pending pod
    """
    need(isinstance(answer, str), "answer must be text, e.g. 'Insufficient memory'.", "")
    need(nodes in ("workers", "any"), f"nodes must be 'workers' or 'any', not {nodes!r}.", "")
    events = cluster.events()
    failed = events[events["reason"] == "FailedScheduling"]
    goal = (
        f"you found why the {'workers' if nodes == 'workers' else 'nodes'} refused the Pending pod"
    )
    if failed.empty:
        return CheckResult(
            goal, False, "no FailedScheduling event", "Scale beyond what fits first, then look."
        )
    message = str(failed.iloc[-1]["message"])
    reasons = [reason for _, reason in scheduling_reasons(message)]
    control_plane = _control_plane_reasons(cluster, reasons)
    accepted = [r for r in reasons if nodes == "any" or r not in control_plane]
    words = _words(answer)
    seen = f"your answer {answer!r}; event: {message}"
    if words and any(words == _words(r) for r in accepted):
        return CheckResult(goal, True, seen)
    if words and any(words in _words(r) for r in control_plane):
        hint = (
            "That is why the control-plane node refused it (its taint "
            f"{CONTROL_PLANE_TAINT}:NoSchedule keeps ordinary pods off); the question asks "
            "about the workers: read the other reason in the message."
        )
    elif words and any(words in _words(r) and words != _words(r) for r in accepted):
        hint = "Part of it: copy the whole reason as the event words it (two words)."
    elif words and any(_words(r) in words for r in accepted):
        hint = "The reason alone, without the node count before it (two words)."
    elif words.startswith("insufficient"):
        hint = (
            "Insufficient, yes, but not that resource: read which one the event names for "
            "the workers."
        )
    else:
        hint = (
            "Read the message of the last FailedScheduling event in cluster.events() "
            "(kubectl describe pod <pending pod>): after 'nodes are available:' it lists, "
            "per reason, how many nodes failed it. Copy the workers' reason."
        )
    return CheckResult(goal, False, seen, hint)


# The course's pods have an emptyDir (/tmp) and every kind node runs DaemonSet pods (kindnet,
# kube-proxy): kubectl drain refuses both without these flags.
_DRAIN = (
    'cluster.drain("{node}", ignore_daemonsets=True, delete_emptydir_data=True) '
    "(kubectl drain {node} --ignore-daemonsets --delete-emptydir-data)"
)


def drained(cluster, node: str, selector: str = "app=model") -> CheckResult:
    """``node`` is cordoned, none of the ``selector`` pods runs there, all others are Ready.

    Example:
        >>> helpers.checks.drained(cluster, "orchestra-worker")
        ✓ orchestra-worker is drained and the app=model pods run elsewhere
    """
    reqs = labels.parse(selector)

    def look(c) -> Verdict:
        snap = c.snapshot()
        row = next((n for n in snap["nodes"] if n["name"] == node), None)
        if row is None:
            return Verdict(False, f"no node {node}", "Pick a name from cluster.nodes().")
        pods = [p for p in snap["pods"] if labels.matches(reqs, p["labels"])]
        here = [p["name"] for p in pods if p["node"] == node]
        seen = f"schedulable={row['schedulable']}; {len(here)} {selector} pod(s) on {node}"
        if row["schedulable"]:
            return Verdict(False, seen, f"Cordon and drain it: {_DRAIN.format(node=node)}.")
        if here:
            return Verdict(
                False,
                seen,
                f"Pods still run there: evict them with {_DRAIN.format(node=node)}; a "
                "PodDisruptionBudget may be holding them.",
                settling=True,
            )
        ready = all(p["ready"] for p in pods if p["status"] != "Terminating")
        return Verdict(ready, seen, "Replacements are still starting.", settling=True)

    return converge(cluster, f"{node} is drained and the {selector} pods run elsewhere", look)


def pdb(cluster, name: str, min_available: int) -> CheckResult:
    """A PodDisruptionBudget ``name`` keeps at least ``min_available`` pods.

    Example:
        >>> helpers.checks.pdb(cluster, "model", 2)
        ✓ poddisruptionbudget/model keeps at least 2 pods available
    """
    goal = f"poddisruptionbudget/{name} keeps at least {min_available} pods available"
    try:
        spec = cluster.get("PodDisruptionBudget", name)["spec"]
    except NotFound:
        hint = 'Apply the course\'s budget: cluster.apply(helpers.lab.manifest("model-pdb.yaml")) (kubectl apply -f cluster/manifests/model-pdb.yaml).'
        return CheckResult(goal, False, f"no poddisruptionbudget/{name}", hint)
    have = spec.get("minAvailable")
    seen = f"minAvailable={have}, selector {labels.to_string(spec.get('selector'))}"
    hint = f"Set spec.minAvailable: {min_available} and apply the budget again."
    return CheckResult(goal, have == min_available, seen, hint)


def hpa(
    cluster,
    name: str,
    min_replicas: int,
    max_replicas: int,
    cpu_percent: int,
    declarative: str | Path | None = None,
):
    """A HorizontalPodAutoscaler ``name`` with these bounds and CPU utilization target.

    ``declarative=<a YAML file>``: the file must say so too, and be applied (the API
    server's dry run of it changes nothing), as in helpers.checks.files.

    Example:
        >>> helpers.checks.hpa(cluster, "model", 2, 8, 60)
        ✓ horizontalpodautoscaler/model scales 2..8 at 60% CPU
    """
    goal = f"horizontalpodautoscaler/{name} scales {min_replicas}..{max_replicas} at {cpu_percent}% CPU"
    want = (min_replicas, max_replicas, cpu_percent)
    if declarative is not None:
        path = Path(declarative)
        doc, why = files.declared(path, "HorizontalPodAutoscaler", name)
        if doc is None:
            return CheckResult(goal, False, why.seen, why.hint)
        seen, wrong = _hpa_fields(doc.get("spec") or {}, want)
        if wrong:
            hint = (f"Set {', '.join(wrong)} in {files.shown(path)}, save the file, then apply "
                    f"it: {files.apply_hint(path)}.")  # fmt: skip
            return CheckResult(goal, False, f"{files.shown(path)} says {seen}", hint)
        if why := files.applied(cluster, path, doc, f"{files.shown(path)} says {seen}"):
            return CheckResult(goal, False, why.seen, why.hint)
    try:
        spec = cluster.get("HorizontalPodAutoscaler", name)["spec"]
    except NotFound:
        return CheckResult(
            goal, False, f"no hpa/{name}", "Apply your autoscaler manifest (kubectl apply -f)."
        )
    seen, wrong = _hpa_fields(spec, want)
    hint = f"Fix {', '.join(wrong)} in the manifest and apply it again." if wrong else ""
    return CheckResult(goal, not wrong, seen, hint)


def _hpa_fields(spec: dict, want: tuple) -> tuple[str, list[str]]:
    """(what the HPA spec says, the fields that differ from ``want``)."""
    targets = [
        m["resource"]["target"].get("averageUtilization")
        for m in spec.get("metrics", [])
        if m.get("type") == "Resource" and m["resource"].get("name") == "cpu"
    ]
    have = (spec.get("minReplicas", 1), spec.get("maxReplicas"), targets[0] if targets else None)
    seen = f"min={have[0]}, max={have[1]}, cpu target={have[2]}%"
    fields = ("minReplicas", "maxReplicas", "averageUtilization")
    wrong = [f for f, got, w in zip(fields, have, want, strict=True) if got != w]
    return seen, wrong


def _template(cluster, deployment: str) -> dict:
    """deployment/<name>'s pod template (an empty one when the Deployment is gone)."""
    dep = find_deployment(cluster, deployment)
    return {"spec": {}} if dep is None else dep["spec"]["template"]


def _node_selectors(cluster, pods: list[dict]) -> dict[str, dict]:
    """The pod template's nodeSelector of each Deployment owning one of ``pods``."""
    owners = sorted({p["owner"] for p in pods if p.get("owner")})
    return {d: _template(cluster, d)["spec"].get("nodeSelector") or {} for d in owners}


def placed(cluster, selector: str, node: str) -> CheckResult:
    """Every Ready pod matching ``selector`` runs on ``node`` (and there is at least one).

    The seen line shows the owning Deployment's nodeSelector as the API holds it (a merge
    patch adds keys to the ones already there); the hint names the keys ``node`` lacks.

    Example:
        >>> helpers.checks.placed(cluster, "app=model", "orchestra-worker2")
        ✓ every app=model pod runs on orchestra-worker2
    """
    reqs = labels.parse(selector)

    def look(c) -> Verdict:
        pods = [
            p
            for p in c.snapshot()["pods"]
            if labels.matches(reqs, p["labels"]) and p["status"] != "Terminating"
        ]
        elsewhere = sorted({p["node"] or "nowhere (Pending)" for p in pods if p["node"] != node})
        selectors = _node_selectors(c, pods)
        seen = f"{len(pods)} pod(s)" + (f", also on {', '.join(elsewhere)}" if elsewhere else "")
        seen += "".join(
            f"; deployment/{d} nodeSelector {sel or 'none'}" for d, sel in selectors.items()
        )
        hint = (
            f"Give the pod template a nodeSelector that only {node} matches (see "
            f"helpers.lab.node_labels(cluster)), then apply it; kubectl: kubectl patch "
            f'deployment ... -p \'{{"spec":{{"template":{{"spec":{{"nodeSelector": ...}}}}}}}}\'.'
        )
        try:
            node_labels = c.get("Node", node)["metadata"].get("labels") or {}
        except NotFound:
            return Verdict(False, f"no node {node}", "Pick a name from cluster.nodes().")
        for dep, sel in selectors.items():
            lacking = {k: v for k, v in sel.items() if node_labels.get(k) != v}
            if lacking:
                key = next(iter(lacking))
                return Verdict(
                    False,
                    seen,
                    f"{node} does not carry {lacking} from deployment/{dep}'s nodeSelector, so "
                    "no pod may run there. Correct it in the manifest you applied (lab 06: "
                    "work/model-gpu.yaml) and apply it again: apply also removes the keys you "
                    "took out. A merge patch instead adds to the keys already there: remove a "
                    f'wrong one with null, e.g. cluster.patch("deployment", "{dep}", '
                    f'{{"spec": {{"template": {{"spec": {{"nodeSelector": {{"{key}": None}}}}}}}}}}).',
                )
        ready = bool(pods) and all(p["ready"] for p in pods)
        # No nodeSelector yet (nor node affinity, kubectl's other spelling): a wrong spec,
        # reported at once rather than after the settling time.
        constrained = any(selectors.values()) or any(
            "nodeAffinity" in (_template(c, d)["spec"].get("affinity") or {}) for d in selectors
        )
        return Verdict(not elsewhere and ready, seen, hint, settling=constrained)

    return converge(cluster, f"every {selector} pod runs on {node}", look)
