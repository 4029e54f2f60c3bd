"""Exercise checks on serving: selectors, Service endpoints, traffic runs, canaries and the
model server a student runs locally in lab 01.
"""

from __future__ import annotations

import httpx
import pandas as pd

from helpers.checks.result import CheckResult, Verdict, converge, need
from helpers.checks.workloads import pods_of
from helpers.core import labels

# 2 s: a local server on 127.0.0.1 answers /version in milliseconds once it is up.
HTTP_TIMEOUT_S = 2.0


def selector(cluster, text: str, deployment: str = "model") -> CheckResult:
    """The label selector ``text`` picks exactly the pods of ``deployment``.

    Example:
        >>> helpers.checks.selector(cluster, "app=model")
        ✓ the selector picks exactly the pods of deployment/model
    """
    need(isinstance(text, str), "write the selector as text, e.g. 'app=model'.", "")
    goal = f"the selector picks exactly the pods of deployment/{deployment}"
    try:
        reqs = labels.parse(text)
    except Exception as err:  # a typo in the selector is a wrong answer, not misuse
        return CheckResult(goal, False, f"{text!r} does not parse", str(err))
    pods = cluster.snapshot()["pods"]
    picked = {p["name"] for p in pods if labels.matches(reqs, p["labels"])}
    wanted = {p["name"] for p in pods_of(cluster, deployment)}
    seen = f"{text!r} picks {len(picked)} pod(s); deployment/{deployment} has {len(wanted)}"
    if not reqs:
        hint = "An empty selector picks every pod. Use a label the pods carry: cluster.get(...)."
    elif picked - wanted:
        hint = "It also picks other pods: add a requirement (comma means AND)."
    else:
        hint = "It misses pods: read their labels in cluster.get('pod', <name>)['metadata']."
    ok = bool(reqs) and picked == wanted and bool(wanted)
    return CheckResult(goal, ok, seen, hint)


def endpoints(cluster, service: str, count: int) -> CheckResult:
    """service/<name> lists ``count`` ready endpoints.

    Example:
        >>> helpers.checks.endpoints(cluster, "model", 3)
        ✓ service/model sends traffic to 3 ready pods
    """

    def look(c) -> Verdict:
        row = next((s for s in c.snapshot()["services"] if s["name"] == service), None)
        if row is None:
            hint = "Apply cluster/manifests/model-service.yaml (kubectl apply -f ...)."
            return Verdict(False, f"no service/{service}", hint)
        have = len(row["endpoints"])
        seen = f"selector {labels.to_string(row['selector'])}; {have} ready endpoint(s)"
        matching = [p for p in c.snapshot()["pods"] if labels.matches(row["selector"], p["labels"])]
        if not matching:
            hint = (
                "The Service selects no pod: its selector must equal the pods' labels "
                "(kubectl get pods --show-labels)."
            )
            return Verdict(False, seen, hint)
        return Verdict(
            have == count,
            seen,
            f"Endpoints list only Ready pods: {len(matching)} pod(s) match. Scale the "
            f"Deployment or wait for readiness (kubectl get endpointslices).",
            settling=have < count,
        )

    return converge(cluster, f"service/{service} sends traffic to {count} ready pods", look)


def no_failed_requests(run, at_least: int = 1) -> CheckResult:
    """A traffic run (or its results DataFrame) saw no failed request.

    Example:
        >>> helpers.checks.no_failed_requests(run)
        ✓ every request succeeded
    """
    df = run if isinstance(run, pd.DataFrame) else getattr(run, "results", None)
    need(df is not None, "pass the traffic run (the object of `with cluster.traffic(...)`).", "")
    failed = int((~df["ok"]).sum()) if len(df) else 0
    seen = f"{len(df)} requests, {failed} failed"
    if len(df) < at_least:
        return CheckResult(
            "every request succeeded", False, seen, "Run the traffic around the change."
        )
    codes = df.loc[~df["ok"], "status"].value_counts().to_dict()
    hint = (
        f"Failures by status {codes}. Pods got traffic before they were ready or after they "
        "stopped: check the readinessProbe, the preStop sleep and maxUnavailable: 0."
    )
    return CheckResult("every request succeeded", failed == 0, seen, hint)


def canary(cluster, stable: str, canary: str, fraction: float, tolerance: float = 0.05):
    """The canary's share of the Service's ready pods is ``fraction`` (by replica count).

    Example:
        >>> helpers.checks.canary(cluster, "model", "model-canary", 0.25)
        ✓ deployment/model-canary holds 25% of the ready pods behind the service
    """
    need(0 < fraction < 1, f"fraction must be between 0 and 1, not {fraction!r}.", "e.g. 0.25")

    def look(c) -> Verdict:
        old = [p for p in pods_of(c, stable) if p["ready"]]
        new = [p for p in pods_of(c, canary) if p["ready"]]
        total = len(old) + len(new)
        share = len(new) / total if total else 0.0
        seen = f"{len(new)} canary and {len(old)} stable ready pods ({share:.0%})"
        if not new:
            hint = (
                f"No ready pod of deployment/{canary}. Apply it with the same app label as "
                f"{stable}, so the Service selects both."
            )
            return Verdict(False, seen, hint, settling=bool(pods_of(c, canary)))
        return Verdict(
            abs(share - fraction) <= tolerance,
            seen,
            f"Adjust the replica counts so canary/(canary+stable) = {fraction:g}, e.g. "
            f'cluster.scale("{canary}", 1) with {stable} at {round((1 - fraction) / fraction)}.',
            settling=True,
        )

    goal = f"deployment/{canary} holds {fraction:.0%} of the ready pods behind the service"
    return converge(cluster, goal, look)


def served_version(url: str, version: str) -> CheckResult:
    """The model server at ``url`` answers GET /version with ``version`` (a real HTTP call).

    Example:
        >>> helpers.checks.served_version(server.url, "v2")
        ✓ the local model server serves v2
    """
    goal = f"the local model server serves {version}"
    try:
        body = httpx.get(f"{url}/version", timeout=HTTP_TIMEOUT_S).json()
    except (httpx.HTTPError, ValueError) as err:
        hint = "Start it first: server = helpers.lab.local_server(...), then wait for it."
        return CheckResult(goal, False, f"no answer ({type(err).__name__})", hint)
    have = body.get("version")
    hint = f'Stop this server and start one with helpers.lab.local_server("{version}").'
    return CheckResult(goal, have == version, f"/version says {have!r}", hint)
