"""Exercise checks on serving: selectors, Service endpoints, traffic runs, canaries and the
model server a student runs locally in lab 01.
"""

from __future__ import annotations

import httpx
import pandas as pd

from helpers.checks.result import CheckResult, Verdict, converge, need
from helpers.checks.workloads import OFF, find_deployment, pods_of
from helpers.core import labels
from helpers.core.rollout import template_image
from helpers.core.state import version_of
from helpers.core.traffic import FAILURE_CAUSES, failure_causes

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

    When requests failed, the hint names each cause by its status (503: not Ready yet;
    502: stopped while still in the endpoints; 504: no answer, its pod gone) and the practice
    that prevents it.

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
    hint = " ".join(
        f"{row.failed} failed with {row.status} ({row.cause}); the fix: {row.prevented_by} "
        f"({FAILURE_CAUSES.get(row.status, ('', '', 'read the pod logs'))[2]})."
        for row in failure_causes(df).itertuples()
    )
    return CheckResult("every request succeeded", failed == 0, seen, hint)


def _stable_changed(stable_dep: dict, canary_name: str, version: str | None) -> str:
    """Why the stable Deployment looks overwritten by the canary's manifest ("" if not)."""
    template = stable_dep["spec"]["template"]
    image = template_image(stable_dep)
    if version is not None and version_of(image) == version:
        return f"it runs {image}, the canary's version"
    if "track" in (template["metadata"].get("labels") or {}):
        return "its pod template carries the canary's track label"
    return ""


def canary(
    cluster,
    stable: str,
    canary: str,
    fraction: float,
    version: str | None = None,
    service: str = "model",
    tolerance: float = 0.05,
) -> CheckResult:
    """deployment/<canary> runs beside deployment/<stable> behind one Service, at ``fraction``.

    Passes when the canary's selector claims only its own pods (a label such as ``track:
    canary`` in the selector and the template; Deployments must not overlap), the Service
    selects the canary's pods too, its template runs ``version`` (when given), and its share
    of the Service's ready pods is ``fraction`` ± ``tolerance`` (by replica count).
    (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector,
    https://kubernetes.io/docs/concepts/workloads/management/#canary-deployments)

    Example:
        >>> helpers.checks.canary(cluster, "model", "model-canary", 0.25, version="v2")
        ✓ deployment/model-canary holds 25% of the ready pods behind service/model
    """
    need(0 < fraction < 1, f"fraction must be between 0 and 1, not {fraction!r}.", "e.g. 0.25")
    restore = (
        f'Restore it: cluster.apply(helpers.lab.read_manifest("{stable}-deployment.yaml")) '
        f"(kubectl apply -f cluster/manifests/{stable}-deployment.yaml), then apply the "
        f"canary under its own name."
    )

    def look(c) -> Verdict:
        stable_dep, canary_dep = find_deployment(c, stable), find_deployment(c, canary)
        if stable_dep is not None:
            changed = _stable_changed(stable_dep, canary, version)
            if changed:
                seen = f"deployment/{stable} changed: {changed}"
                hint = (
                    f"The canary manifest was applied over deployment/{stable} (is its "
                    f"metadata.name still {stable!r}?). {restore}"
                )
                return Verdict(False, seen, hint)
        if canary_dep is None:
            return Verdict(False, f"no deployment/{canary}", f"Apply it as {canary!r} first.")
        selector = canary_dep["spec"].get("selector") or {}
        template_labels = canary_dep["spec"]["template"]["metadata"].get("labels") or {}
        # Terminating pods are on their way out (those of a canary just deleted to fix its
        # selector have no Deployment any more): only live pods can be claimed twice.
        overlapping = [
            p
            for p in c.snapshot()["pods"]
            if p.get("owner") != canary
            and p["status"] != "Terminating"
            and labels.matches(selector, p["labels"])
        ]
        if overlapping:
            owner = overlapping[0].get("owner")
            whose = f"deployment/{owner}" if owner else "no Deployment (bare pods)"
            seen = (
                f"the selector of deployment/{canary} ({labels.to_string(selector)}) also "
                f"matches {len(overlapping)} pod(s) of {whose}"
            )
            hint = (
                "Two Deployments must not select the same pods. Give the canary a label of its "
                "own, e.g. track: canary, in BOTH spec.selector.matchLabels and the pod "
                "template's labels. The selector cannot change once applied: delete it first "
                f'(cluster.delete("deployment", "{canary}")), then apply the fixed one.'
            )
            return Verdict(False, seen, hint)
        svc = next((s for s in c.snapshot()["services"] if s["name"] == service), None)
        if svc is not None and not labels.matches(svc["selector"], template_labels):
            seen = (
                f"service/{service} selects {labels.to_string(svc['selector'])}; the canary's "
                f"pods carry {labels.to_string(template_labels) or 'no labels'}"
            )
            hint = (
                f"Keep the Service's labels ({labels.to_string(svc['selector'])}) on the "
                "canary's pod template, so the Service sends it traffic too."
            )
            return Verdict(False, seen, hint)
        image = template_image(canary_dep)
        if version is not None and version_of(image) != version:
            hint = (
                f"The canary's pod template asks for {image}: set orchestra/model:{version} "
                f'(cluster.set_image("{canary}", "orchestra/model:{version}")).'
            )
            return Verdict(False, f"deployment/{canary} runs {image}", hint)
        old = [p for p in pods_of(c, stable) if p["ready"]]
        new = [p for p in pods_of(c, canary) if p["ready"]]
        total = len(old) + len(new)
        share = len(new) / total if total else 0.0
        seen = f"{len(new)} canary and {len(old)} stable ready pods ({share:.0%})"
        if not new:
            hint = f"No ready pod of deployment/{canary} yet: look at cluster.pods()."
            return Verdict(False, seen, hint, settling=bool(pods_of(c, canary)))
        return Verdict(
            abs(share - fraction) <= tolerance,
            seen,
            f"Adjust the replica counts so canary/(canary+stable) = {fraction:g}, e.g. "
            f'cluster.scale("{canary}", 1) with {stable} at {round((1 - fraction) / fraction)}.',
            settling=True,
        )

    goal = f"deployment/{canary} holds {fraction:.0%} of the ready pods behind service/{service}"
    return converge(cluster, goal, look)


def _faults_on(server) -> list[str]:
    """The MODEL_FAULT_* variables a local server was started with, switched on."""
    env = getattr(server, "env", None) or {}
    return [
        f"{k}={v}"
        for k, v in env.items()
        if k.startswith("MODEL_FAULT_") and str(v).strip().lower() not in OFF
    ]


def served_version(server, version: str) -> CheckResult:
    """The local model server answers GET /version with ``version`` and is Ready.

    ``server`` is the object ``helpers.lab.local_server(...)`` returned (or its URL). A
    server that is alive but not Ready (/readyz not 200), or that still runs with a fault
    switched on, fails: Kubernetes would not send it traffic. Real HTTP calls, 2 s each.

    Example:
        >>> helpers.checks.served_version(server, "v2")
        ✓ the local model server serves v2 and is Ready
    """
    goal = f"the local model server serves {version} and is Ready"
    url = server if isinstance(server, str) else getattr(server, "url", None)
    start = f'Start one: server = helpers.lab.local_server("{version}"), and keep it running.'
    if not url:
        return CheckResult(goal, False, "no server (server is None)", start)
    try:
        body = httpx.get(f"{url}/version", timeout=HTTP_TIMEOUT_S).json()
        ready = httpx.get(f"{url}/readyz", timeout=HTTP_TIMEOUT_S)
    except (httpx.HTTPError, ValueError) as err:
        return CheckResult(goal, False, f"no answer from {url} ({type(err).__name__})", start)
    have = body.get("version")
    seen = f"/version says {have!r}; /readyz answers {ready.status_code}"
    restart = (
        f'Stop this server (server.stop()) and start one with helpers.lab.local_server("{version}")'
    )
    if have != version:
        return CheckResult(goal, False, seen, restart + ".")
    faults = _faults_on(server)
    if faults:
        hint = f"It runs with {', '.join(faults)} still on. {restart}, without the fault."
        return CheckResult(goal, False, seen + f"; started with {', '.join(faults)}", hint)
    if ready.status_code != 200:
        hint = (
            "It is alive (/healthz) but not Ready: a readinessProbe would keep it out of the "
            f"Service. Wait for it (server.wait_ready()); if it never gets Ready, {restart[0].lower()}{restart[1:]}."
        )
        return CheckResult(goal, False, seen, hint)
    return CheckResult(goal, True, seen)
