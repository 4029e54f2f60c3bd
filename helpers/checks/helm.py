"""Exercise checks on Helm releases: what the release says, and that the cluster runs it.

A helm exercise has two ways to look right and be wrong: the cluster is changed beside
helm (``kubectl scale``, ``kubectl rollout undo``: the release still records the old state
and the next ``helm upgrade`` puts it back), or an upgrade silently drops an earlier
``--set`` (``helm upgrade`` starts again from the chart's values unless ``--reuse-values``,
helm.sh/docs/helm/helm_upgrade/). Each check reads the release from its Secrets
(helpers.core.helmrelease) and the live Deployment, and names which of the two happened.
"""

from __future__ import annotations

from helpers.checks.result import CheckResult, Verdict, converge, need
from helpers.checks.workloads import find_deployment
from helpers.core.helmrelease import Release, deployed, releases
from helpers.core.rollout import template_image
from helpers.core.state import version_of

CHART = "../cluster/chart"


def release(
    cluster,
    name: str,
    version: str,
    replicas: int,
    rollback: bool = False,
    deployment: str | None = None,
) -> CheckResult:
    """Release ``name``'s deployed revision runs ``version`` with ``replicas`` pods, and the
    cluster runs exactly that (no change made beside helm), every pod Ready.

    Args:
        name: the release (``helm install <name>``).
        version: the model tag its Deployment must run, e.g. "v2".
        replicas: its Deployment's replicas.
        rollback: the deployed revision must come from ``helm rollback``.
        deployment: the Deployment's name (default: the release's, as the course chart names it).

    Example:
        >>> helpers.checks.release(cluster, "model", "v2", 4)
        ✓ release model runs orchestra/model:v2 with 4 replicas, and the cluster matches
    """
    need(isinstance(version, str) and version, "version must be a tag such as 'v2'.", "e.g. v2")
    need(isinstance(replicas, int) and replicas >= 0, "replicas must be a whole number.", "e.g. 4")
    deployment = deployment or name
    goal = (f"release {name} runs orchestra/model:{version} with {replicas} replicas"
            f"{' after a helm rollback' if rollback else ''}, and the cluster matches")  # fmt: skip

    def look(c) -> Verdict:
        history = releases(c, name)
        current = deployed(c, name)
        if current is None:
            what = "no revisions" if not history else f"no deployed revision of {len(history)}"
            return Verdict(
                False,
                f"release {name} has {what}",
                f'Install it: helpers.lab.helm("install {name} {CHART}") (helm list shows '
                "the releases).",
            )
        seen = _seen(current, deployment)
        # A change beside helm first: the release's own history cannot explain it.
        drift = _drift_verdict(c, current, deployment, seen)
        if drift is not None:
            return drift
        wrong = _release_verdict(history, current, deployment, version, replicas, seen, rollback)
        if wrong is not None:
            return wrong
        return _cluster_verdict(c, current, deployment, seen)

    return converge(cluster, goal, look)


def _seen(current: Release, deployment: str) -> str:
    image, count = current.image(deployment), current.replicas(deployment)
    return (f"revision {current.revision} ({current.description}) deploys {image} with "
            f"{count} replicas")  # fmt: skip


def _release_verdict(
    history: list[Release],
    current: Release,
    deployment: str,
    version: str,
    replicas: int,
    seen: str,
    rollback: bool,
) -> Verdict | None:
    name = current.name
    have_version = version_of(current.image(deployment) or "")
    have_replicas = current.replicas(deployment)
    if have_version == version and have_replicas == replicas:
        if rollback and current.rollback_of() is None:
            return Verdict(
                False,
                seen,
                f"Right values, but revision {current.revision} is a new upgrade, not a "
                f"rollback. helm rollback {name} <revision> redeploys a revision helm "
                f"already ran, exactly (values and chart): find it with helm history {name}.",
            )
        return None
    # Which earlier revision had what was asked, and what the newest one dropped.
    earlier = [r for r in history if r.revision < current.revision]
    had = [r for r in earlier if version_of(r.image(deployment) or "") == version]
    if rollback and current.rollback_of() is not None:
        good = [r.revision for r in had if r.replicas(deployment) == replicas]
        where = f" (revision {good[-1]} does)" if good else ""
        return Verdict(
            False,
            seen,
            f"Revision {current.revision} rolled back to revision {current.rollback_of()}, "
            f"which runs {have_version} with {have_replicas} replicas; roll back to the "
            f"last revision that ran {version} with {replicas}{where}: helm history {name}.",
        )
    if rollback:
        return Verdict(
            False,
            seen,
            f"Revision {current.revision} runs {have_version} with {have_replicas} replicas. "
            f"Roll the release back to the last revision that ran {version} with {replicas}: "
            f"helm history {name} lists them, helm get values {name} --revision <N> shows "
            f"what each ran, helm rollback {name} <revision> redeploys one.",
        )
    set_tag = (current.values.get("image") or {}).get("tag")
    if have_version != version and had and have_replicas == replicas and not set_tag:
        return Verdict(
            False,
            seen,
            f"Revision {had[-1].revision} ran {version}, but revision {current.revision} "
            f"is back on {have_version}: helm upgrade starts again from the chart's "
            "values.yaml, so a value set by an earlier --set is dropped unless you pass "
            "--reuse-values (or the same --set / -f again).",
        )
    # The hints name the values and flags, not the whole command: the exercise is to write it.
    if have_version != version:
        return Verdict(
            False,
            seen,
            f"The release runs {have_version}, not {version}: set the chart's image.tag in a "
            f"helm upgrade of {name} (chart {CHART}) that keeps the values set before "
            "(--reuse-values).",
        )
    return Verdict(
        False,
        seen,
        f"The release has {have_replicas} replicas, not {replicas}: set the chart's "
        f"replicaCount (its value for spec.replicas) in a helm upgrade of {name} (chart "
        f"{CHART}) that keeps the values set before, so it stays on {version} (helm upgrade "
        "--help: --reuse-values). A kubectl scale would change the Deployment beside helm, "
        "and the next upgrade would undo it.",
    )


def _live(cluster, deployment: str) -> tuple[dict | None, str]:
    dep = find_deployment(cluster, deployment)
    if dep is None:
        return None, f"there is no deployment/{deployment}"
    status = dep.get("status") or {}
    return dep, (f"deployment/{deployment} runs {template_image(dep)} with "
                 f"{dep['spec'].get('replicas', 1)} replicas, "
                 f"{status.get('readyReplicas', 0) or 0} ready")  # fmt: skip


def _drift_verdict(cluster, current: Release, deployment: str, seen: str) -> Verdict | None:
    """The live Deployment is not what the deployed revision rendered (None: it is)."""
    name = current.name
    dep, live = _live(cluster, deployment)
    if dep is None:
        return Verdict(
            False,
            f"{seen}; {live}",
            f"It was deleted beside helm: helm upgrade {name} {CHART} --reuse-values recreates it.",
        )
    want_replicas = current.replicas(deployment)
    if template_image(dep) == current.image(deployment) and (
        want_replicas is None or dep["spec"].get("replicas", 1) == want_replicas
    ):
        return None
    return Verdict(
        False,
        f"{seen}; {live}",
        f"deployment/{deployment} was changed beside helm (kubectl set image, scale or "
        f"rollout undo): release {name} still records revision {current.revision}, and "
        f"its next upgrade puts that back. Make the change through helm (helm upgrade, or "
        f"helm rollback {name} <revision>; helm history {name} lists them).",
    )


def _cluster_verdict(cluster, current: Release, deployment: str, seen: str) -> Verdict:
    dep, live = _live(cluster, deployment)
    seen = f"{seen}; {live}"
    if dep is None:  # deleted since the drift check
        return Verdict(False, seen, f"helm upgrade {current.name} {CHART} --reuse-values.")
    want = int(dep["spec"].get("replicas", 1))
    status = dep.get("status") or {}
    ready, updated, total = (int(status.get(k, 0) or 0) for k in
                             ("readyReplicas", "updatedReplicas", "replicas"))  # fmt: skip
    state = cluster.rollout_status(deployment)
    if state.state == "stuck":
        return Verdict(
            False,
            seen,
            f"The rollout of revision {current.revision} is stuck ({state.reason}): "
            f"helm history {current.name} shows the last revision that worked.",
        )
    return Verdict(
        state.state == "complete" and ready == want and updated == want == total,
        seen,
        f"The release is right; its rollout is still in progress ({state.message}). Wait "
        f'with cluster.wait_rollout("{deployment}").',
        settling=True,
    )
