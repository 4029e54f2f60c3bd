"""Experiments under traffic that labs 04 and 05 run in one call each.

Each is a fixed script on the shared cluster API, so the simulator (seed 0) gives the same
numbers every run and kind gives comparable ones.
"""

from __future__ import annotations

import random

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


def rollout_experiment(
    cluster, manifest, image: str = "orchestra/model:v2", rps: float = 50, deployment="model"
):
    """Deploy ``manifest``, then roll it to ``image`` under open-loop traffic.

    Returns the traffic run (``.results``, ``.summary()``). The Deployment is left at the
    new image; deploy again for the next experiment.

    Example:
        >>> naive = helpers.lab.rollout_experiment(cluster, "naive/model-naive.yaml")
        >>> naive.summary()["failed"]
    """
    reset(cluster)
    source = MANIFESTS / manifest if isinstance(manifest, str) else manifest
    cluster.apply(source)
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
    # A fresh Service reaches every node's proxy asynchronously: start measuring once
    # it has, so both manifests are judged on the rollout alone.
    cluster.sleep(BASELINE_S)
    with cluster.traffic("model", rps=rps) as run:
        cluster.sleep(BASELINE_S)
        cluster.set_image(deployment, image)
        cluster.wait_rollout(deployment, timeout=600)
        cluster.sleep(BASELINE_S)
    return run
