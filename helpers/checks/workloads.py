"""Exercise checks on Deployments: replicas, readiness, the version rolled out, faults.

Each reads the cluster only through the shared API (``get``, ``snapshot``), so it means
the same on the simulator and on kind.
"""

from __future__ import annotations

from pathlib import Path

from helpers.checks import files
from helpers.checks.result import CheckResult, Verdict, converge, need
from helpers.core.rollout import template_image
from helpers.core.state import version_of
from helpers.errors import NotFound

# Pod statuses that a person must fix (they do not clear by waiting).
# Values the model server reads as "off" (orchestra_model.faults).
OFF = ("", "0", "false", "no", "off")
# Error and OOMKilled are left out: the kubelet restarts such a container, and a repeat
# shows as CrashLoopBackOff, which is in the list.
BROKEN = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError")


def find_deployment(cluster, name: str) -> dict | None:
    """deployment/<name> as the API returns it, or None when there is none."""
    try:
        return cluster.get("Deployment", name)
    except NotFound:
        return None


def _missing(name: str) -> Verdict:
    return Verdict(
        False,
        f"there is no deployment/{name}",
        "Create it first: cluster.apply(...) (kubectl apply -f <file>); "
        "list what exists with cluster.pods().",
    )


def pods_of(cluster, deployment: str) -> list[dict]:
    """The pod rows owned by ``deployment`` (Terminating ones included)."""
    return [p for p in cluster.snapshot()["pods"] if p.get("owner") == deployment]


def _counts(dep: dict) -> tuple[int, int, int, int]:
    status = dep.get("status") or {}
    return (
        int(dep["spec"].get("replicas", 1)),
        int(status.get("readyReplicas", 0) or 0),
        int(status.get("updatedReplicas", 0) or 0),
        int(status.get("replicas", 0) or 0),
    )


def replicas(
    cluster, deployment: str, n: int, declarative: bool | str | Path = False
) -> CheckResult:
    """deployment/<name> wants ``n`` replicas and has ``n`` ready.

    ``declarative=True`` words the hint for an exercise that edits and applies a manifest
    (the imperative ``cluster.scale`` is then not the fix to suggest). ``declarative=<a
    YAML file>`` also reads that file: it must say ``n`` replicas and the cluster must be
    what applying it gives (the API server's dry run of the file changes nothing), so a
    cluster scaled by command while the file still says otherwise fails, as the next
    `kubectl apply -f` of the file would undo it.
    (kubernetes.io/docs/concepts/overview/working-with-objects/object-management/)

    Example:
        >>> helpers.checks.replicas(cluster, "model", 5)
        ✓ deployment/model runs 5 ready replicas
        >>> helpers.checks.replicas(cluster, "model", 5, declarative="work/model-deployment.yaml")
    """
    need(isinstance(n, int) and n >= 0, f"n must be a whole number, not {n!r}.", "e.g. 5")
    file = None if isinstance(declarative, bool) else Path(declarative)
    declarative = bool(declarative)

    def look(c) -> Verdict:
        dep = find_deployment(c, deployment)
        if dep is None:
            return _missing(deployment)
        if file is not None and (verdict := _file_verdict(c, file, dep, n)) is not None:
            return verdict
        want, ready, _, _ = _counts(dep)
        seen = f"deployment/{deployment} wants {want} replicas, {ready} ready"
        if want != n and declarative:
            return Verdict(
                False,
                seen,
                f"deployment/{deployment} has {want} replicas. Set spec.replicas to {n} in the "
                "manifest (the dict), then apply it: cluster.apply(<the dict>) (kubectl apply "
                "-f <file>). Scaling by command would be undone by the next apply.",
            )
        if want != n:
            return Verdict(
                False,
                seen,
                f"deployment/{deployment} has {want} replicas; scale it with "
                f'cluster.scale("{deployment}", {n}) (kubectl scale deployment/{deployment} '
                f"--replicas={n}).",
            )
        broken = [p["status"] for p in pods_of(c, deployment) if p["status"] in BROKEN]
        if broken:
            return Verdict(False, seen, _broken_hint(deployment, broken[0]))
        return Verdict(
            ready == n,
            seen,
            f"The spec is right; {n - ready} pod(s) are not Ready yet. Look at "
            "cluster.pods() and cluster.events() for Pending pods (FailedScheduling).",
            settling=True,
        )

    return converge(cluster, f"deployment/{deployment} runs {n} ready replicas", look)


def _file_verdict(cluster, path: Path, dep: dict, n: int) -> Verdict | None:
    """Why the file or the cluster is not the declared state (None: both are right)."""
    name, where = dep["metadata"]["name"], files.shown(path)
    live_n = int(dep["spec"].get("replicas", 1))
    doc, why = files.declared(path, "Deployment", name)
    if doc is None:
        return why
    want = (doc.get("spec") or {}).get("replicas")
    seen = f"{where} says replicas: {want}; deployment/{name} has {live_n}"
    if want != n:
        hint = (f"Set spec.replicas to {n} in {where}, save the file, then apply it: "
                f"{files.apply_hint(path)}.")  # fmt: skip
        if live_n == n:
            hint = (f"The cluster has {n} replicas, but {where} still says {want}: the next "
                    f"apply of the file would scale it back to {want}. {hint}")  # fmt: skip
        return Verdict(False, seen, hint)
    return files.applied(cluster, path, doc, seen)


def _broken_hint(deployment: str, status: str) -> str:
    if status == "CreateContainerConfigError":
        return (
            f"A pod of deployment/{deployment} is in {status}: a ConfigMap or Secret (or a "
            "key in it) that its env names does not exist. cluster.events() names it (reason "
            "Failed); create it, e.g. cluster.apply(<its manifest>) (kubectl create configmap "
            "<name> --from-literal=<key>=<value>), and the kubelet starts the container."
        )
    return (
        f"A pod of deployment/{deployment} is in {status}: waiting will not fix it. Read "
        f"cluster.events() for its reason, fix the spec (image or env), or roll back with "
        f'cluster.rollout_undo("{deployment}").'
    )


def rolled_out(cluster, deployment: str, version: str) -> CheckResult:
    """Every replica of deployment/<name> runs ``version`` and the rollout is complete.

    Example:
        >>> helpers.checks.rolled_out(cluster, "model", "v2")
        ✓ deployment/model runs orchestra/model:v2 on every replica
    """
    need(isinstance(version, str) and version, "version must be a tag such as 'v2'.", "e.g. v2")

    def look(c) -> Verdict:
        dep = find_deployment(c, deployment)
        if dep is None:
            return _missing(deployment)
        image = template_image(dep)
        want, ready, updated, total = _counts(dep)
        running = sorted({p["version"] for p in pods_of(c, deployment) if p["ready"]})
        seen = f"template image {image}; ready pods run {', '.join(running) or 'nothing'}"
        if version_of(image) != version:
            return Verdict(
                False,
                seen,
                f"The pod template asks for {image}. Change it with cluster.set_image("
                f'"{deployment}", "orchestra/model:{version}") (kubectl set image '
                f"deployment/{deployment} model=orchestra/model:{version}).",
            )
        state = c.rollout_status(deployment)
        if state.state == "stuck":
            return Verdict(False, seen, _broken_hint(deployment, state.reason))
        return Verdict(
            state.state == "complete" and ready == want and updated == want == total,
            seen,
            f"The rollout is still in progress ({state.message}); wait with "
            f'cluster.wait_rollout("{deployment}") (kubectl rollout status '
            f"deployment/{deployment}).",
            settling=True,
        )

    return converge(cluster, f"deployment/{deployment} runs {version} on every replica", look)


def healthy(cluster, deployment: str) -> CheckResult:
    """All replicas Ready, no pod crash-looping, no fault switch left in the pod template.

    Example:
        >>> helpers.checks.healthy(cluster, "model")
        ✓ deployment/model is healthy: every replica Ready, no fault switched on
    """

    def look(c) -> Verdict:
        dep = find_deployment(c, deployment)
        if dep is None:
            return _missing(deployment)
        want, ready, _, _ = _counts(dep)
        env = [
            e["name"]
            for ctr in dep["spec"]["template"]["spec"]["containers"]
            for e in ctr.get("env") or []
            if e.get("name", "").startswith("MODEL_FAULT_")
            and str(e.get("value", "")).lower() not in OFF
        ]
        seen = f"{ready}/{want} ready" + (f"; fault env {', '.join(env)}" if env else "")
        if env:
            return Verdict(
                False,
                seen,
                f"The pod template still sets {env[0]}. Remove it (kubectl set env "
                f"deployment/{deployment} {env[0]}-) or roll back with "
                f'cluster.rollout_undo("{deployment}").',
            )
        state = c.rollout_status(deployment)
        if state.state == "stuck":
            return Verdict(False, seen, _broken_hint(deployment, state.reason))
        return Verdict(
            ready == want and state.state == "complete",
            seen,
            "Some replicas are not Ready yet; look at cluster.pods() and cluster.events().",
            settling=True,
        )

    goal = f"deployment/{deployment} is healthy: every replica Ready, no fault switched on"
    return converge(cluster, goal, look)
