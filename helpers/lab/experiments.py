"""Experiments under traffic that labs 04 and 05 run in one call each.

Each is a fixed script on the shared cluster API, so the simulator (seed 0) gives the same
numbers every run and kind gives comparable ones.
"""

from __future__ import annotations

import random

from helpers.core.manifests import load
from helpers.core.paths import MANIFESTS
from helpers.errors import LabError
from helpers.lab.session import reset

# 10 s of steady traffic before and after a change: a baseline to compare against, and
# time for the last old pods' termination to show in the results.
BASELINE_S = 10.0


def chaos(cluster, deployment: str = "model", kills: int = 3, every: float = 20.0, seed: int = 0):
    """Delete a random Ready pod of ``deployment`` every ``every`` seconds, ``kills`` times.

    Run it inside ``with cluster.traffic(...)``. Returns ``{"delete <pod>": t}`` with each
    deletion's time on the cluster clock, the input of ``helpers.plots.failure_summary``.

    Example:
        >>> with cluster.traffic("model", rps=50) as run:
        ...     faults = helpers.lab.chaos(cluster, kills=3)
    """
    if kills < 1 or every <= 0:
        raise LabError("chaos needs kills >= 1 and every > 0.", "e.g. chaos(cluster, kills=3).")
    rng = random.Random(seed)
    faults: dict[str, float] = {}
    for _ in range(kills):
        cluster.sleep(every)
        ready = sorted(
            p["name"]
            for p in cluster.snapshot()["pods"]
            if p.get("owner") == deployment and p["ready"] and p["status"] == "Running"
        )
        if not ready:
            continue  # everything is down already: nothing to kill this round
        victim = rng.choice(ready)
        faults[f"delete {victim}"] = cluster.now()
        cluster.delete_pod(victim)
    cluster.sleep(every)
    return faults


# Lab 05's server, as many production servers behave (the course's own model loads in
# milliseconds and drains 2 s after SIGTERM, which hides both failures the practices
# prevent): the model takes 3 s more to load after the port opens (readiness matters), and
# the process exits at once on SIGTERM (preStop matters). The same variables act on the
# real server (orchestra_model) and on the simulator's.
SERVER_CONDITIONS = {"MODEL_FAULT_SLOW_START_SECONDS": "3", "SHUTDOWN_DRAIN_SECONDS": "0"}


def _with_env(manifest, deployment: str, env: dict[str, str]) -> list[dict]:
    """The objects of ``manifest`` with ``env`` set on deployment/<name>'s first container."""
    objects = load(manifest)
    for obj in objects:
        if obj.get("kind") == "Deployment" and obj["metadata"].get("name") == deployment:
            container = obj["spec"]["template"]["spec"]["containers"][0]
            kept = [e for e in container.get("env") or [] if e.get("name") not in env]
            container["env"] = kept + [{"name": k, "value": str(v)} for k, v in env.items()]
            return objects
    raise LabError(
        f"the manifest has no Deployment named {deployment!r}.",
        "Pass the Deployment's manifest (e.g. model-deployment.yaml) or deployment=<its name>.",
    )


def rollout_experiment(
    cluster,
    manifest,
    image: str = "orchestra/model:v2",
    rps: float = 50,
    deployment: str = "model",
    env: dict[str, str] | None = None,
):
    """Deploy ``manifest``, then roll it to ``image`` under open-loop traffic.

    ``manifest`` is a file name under cluster/manifests/, a path or a dict; ``env`` sets
    environment variables on the Deployment's first container for the whole experiment
    (e.g. ``SERVER_CONDITIONS``). Returns the traffic run (``.results``, ``.summary()``);
    ``helpers.lab.failure_causes(run)`` says why requests failed. The Deployment is
    left at the new image; deploy again for the next experiment.

    Raises:
        LabError: ``env`` names a Deployment the manifest does not hold.
        ManifestError: the manifest is invalid (Kubernetes' own message).

    Example:
        >>> naive = helpers.lab.rollout_experiment(cluster, "naive/model-naive.yaml")
        >>> naive.summary()["failed"]
    """
    reset(cluster)
    source = MANIFESTS / manifest if isinstance(manifest, str) else manifest
    cluster.apply(_with_env(source, deployment, env) if env else source)
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout(deployment, timeout=600)
    want = cluster.get("Deployment", deployment)["spec"].get("replicas", 1)
    cluster.wait(
        lambda c: any(
            s["name"] == "model" and len(s["endpoints"]) >= want for s in c.snapshot()["services"]
        ),
        timeout=120,
        what="service/model to list every replica",
    )
    # A fresh Service reaches every node's proxy asynchronously, and a slow model finishes
    # loading: start measuring after that, so every manifest is judged on the rollout alone.
    cluster.sleep(BASELINE_S)
    with cluster.traffic("model", rps=rps) as run:
        cluster.sleep(BASELINE_S)
        cluster.set_image(deployment, image)
        cluster.wait_rollout(deployment, timeout=600)
        cluster.sleep(BASELINE_S)
    return run


# The careful manifest's practices that exercise 05-roll-3 is about, by name.
PRACTICES = ("readinessProbe", "preStop", "strategy")


def with_practices(*practices: str, manifest: str = "naive/model-naive.yaml") -> dict:
    """``manifest`` (a file under cluster/manifests/) plus some of the careful one's practices.

    For the course's own measurements (bench/kind_report.py and the tests), which show what
    each practice prevents under ``SERVER_CONDITIONS``; the labs leave it to the student.
    ``practices`` are names from ``PRACTICES``: "readinessProbe", "preStop" (the lifecycle
    hook) and "strategy" (maxSurge 1, maxUnavailable 0).

    Raises:
        LabError: an unknown practice name.

    Example:
        >>> with_practices("readinessProbe")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
        {'httpGet': {'path': '/readyz', 'port': 'http'}, ...}
    """
    unknown = [p for p in practices if p not in PRACTICES]
    if unknown:
        raise LabError(f"unknown practice {unknown[0]!r}.", f"Choose from {', '.join(PRACTICES)}.")
    (target,) = load(MANIFESTS / manifest)
    (careful,) = load(MANIFESTS / "model-deployment.yaml")
    container = target["spec"]["template"]["spec"]["containers"][0]
    good = careful["spec"]["template"]["spec"]["containers"][0]
    for practice in practices:
        if practice == "strategy":
            target["spec"]["strategy"] = careful["spec"]["strategy"]
        else:
            field = "lifecycle" if practice == "preStop" else practice
            container[field] = good[field]
            container["ports"] = good["ports"]  # the probe names the port "http"
    return target
