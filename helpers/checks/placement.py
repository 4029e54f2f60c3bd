"""Exercise checks on where pods run and what limits them: nodes, spreading, requests,
scheduling failures, drains, PodDisruptionBudgets and autoscalers.
"""

from __future__ import annotations

from helpers.checks.result import CheckResult, Verdict, converge, need
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


def spread(cluster, selector: str, nodes: int = 2) -> CheckResult:
    """Ready pods matching ``selector`` run on at least ``nodes`` different nodes.

    Example:
        >>> helpers.checks.spread(cluster, "app=model", nodes=2)
        ✓ pods app=model run on at least 2 nodes
    """
    reqs = labels.parse(selector)

    def look(c) -> Verdict:
        pods = [p for p in c.snapshot()["pods"] if labels.matches(reqs, p["labels"])]
        where = sorted({p["node"] for p in pods if p["ready"] and p["node"]})
        seen = f"{len(pods)} pod(s); Ready ones on {', '.join(where) or 'no node'}"
        if len(pods) < nodes:
            return Verdict(
                False,
                seen,
                f"Fewer than {nodes} pods match {selector!r}: scale up first, e.g. "
                f'cluster.scale("model", {nodes + 1}).',
            )
        return Verdict(
            len(where) >= nodes,
            seen,
            "The pods sit on too few nodes: is a node cordoned or stopped? Look at "
            "cluster.nodes() (kubectl get nodes).",
            settling=True,
        )

    return converge(cluster, f"pods {selector} run on at least {nodes} nodes", look)


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


def pending_reason(cluster, answer: str) -> CheckResult:
    """The student's answer names what the last FailedScheduling event blames.

    Example:
        >>> helpers.checks.pending_reason(cluster, "Insufficient cpu")
        ✓ you found why pods are Pending
    """
    need(isinstance(answer, str), "answer must be text, e.g. 'Insufficient memory'.", "")
    events = cluster.events()
    failed = events[events["reason"] == "FailedScheduling"]
    goal = "you found why pods are Pending"
    if failed.empty:
        return CheckResult(
            goal, False, "no FailedScheduling event", "Scale beyond what fits first, then look."
        )
    message = str(failed.iloc[-1]["message"])
    words = answer.strip().lower()
    ok = bool(words) and words in message.lower() and ("insufficient" in words or "taint" in words)
    hint = (
        "Read the message of the last FailedScheduling event in cluster.events() "
        "(kubectl describe pod <pending pod>) and copy the part after the node count, "
        "e.g. 'Insufficient cpu'."
    )
    return CheckResult(goal, ok, f"your answer {answer!r}; event: {message}", hint)


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
        hint = "Apply cluster/manifests/model-pdb.yaml (kubectl apply -f ...)."
        return CheckResult(goal, False, f"no poddisruptionbudget/{name}", hint)
    have = spec.get("minAvailable")
    seen = f"minAvailable={have}, selector {labels.to_string(spec.get('selector'))}"
    hint = f"Set spec.minAvailable: {min_available} and apply the budget again."
    return CheckResult(goal, have == min_available, seen, hint)


def hpa(cluster, name: str, min_replicas: int, max_replicas: int, cpu_percent: int):
    """A HorizontalPodAutoscaler ``name`` with these bounds and CPU utilization target.

    Example:
        >>> helpers.checks.hpa(cluster, "model", 2, 8, 60)
        ✓ horizontalpodautoscaler/model scales 2..8 at 60% CPU
    """
    goal = f"horizontalpodautoscaler/{name} scales {min_replicas}..{max_replicas} at {cpu_percent}% CPU"
    try:
        spec = cluster.get("HorizontalPodAutoscaler", name)["spec"]
    except NotFound:
        return CheckResult(
            goal, False, f"no hpa/{name}", "Apply your autoscaler manifest (kubectl apply -f)."
        )
    targets = [
        m["resource"]["target"].get("averageUtilization")
        for m in spec.get("metrics", [])
        if m.get("type") == "Resource" and m["resource"].get("name") == "cpu"
    ]
    have = (spec.get("minReplicas", 1), spec.get("maxReplicas"), targets[0] if targets else None)
    seen = f"min={have[0]}, max={have[1]}, cpu target={have[2]}%"
    wrong = [
        field
        for field, got, want in zip(
            ("minReplicas", "maxReplicas", "averageUtilization"),
            have,
            (min_replicas, max_replicas, cpu_percent),
            strict=True,
        )
        if got != want
    ]
    hint = f"Fix {', '.join(wrong)} in the manifest and apply it again." if wrong else ""
    return CheckResult(goal, not wrong, seen, hint)


def placed(cluster, selector: str, node: str) -> CheckResult:
    """Every Ready pod matching ``selector`` runs on ``node`` (and there is at least one).

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
        seen = f"{len(pods)} pod(s)" + (f", also on {', '.join(elsewhere)}" if elsewhere else "")
        hint = (
            f"Give the pod template a nodeSelector that only {node} matches (see "
            f"helpers.lab.node_labels(cluster)), then apply it; kubectl: kubectl patch "
            f'deployment ... -p \'{{"spec":{{"template":{{"spec":{{"nodeSelector": ...}}}}}}}}\'.'
        )
        ready = bool(pods) and all(p["ready"] for p in pods)
        return Verdict(not elsewhere and ready, seen, hint, settling=True)

    return converge(cluster, f"every {selector} pod runs on {node}", look)
