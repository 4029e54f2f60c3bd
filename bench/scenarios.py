"""The measured scenarios of the kind report, on the shared Cluster API.

Each function runs one scenario the labs teach and returns its figures as a dict, so the
same code measures the simulator (seed 0, virtual time) and a real kind cluster, and the
report can put them side by side (bench/kind_report.py).
"""

from __future__ import annotations

import statistics
from typing import Any

import helpers.lab
from helpers.core.paths import MANIFESTS
from helpers.errors import LabTimeout, NotFound
from helpers.lab.experiments import PRACTICES, with_practices

RPS = 50  # the labs' traffic for rollouts (lab 05)


def rollout_loss(cluster, manifest, env: dict[str, str] | None = None) -> dict[str, Any]:
    """v1 -> v2 of ``manifest`` under RPS requests/s: requests sent and failed, and why.

    ``env`` is set on the model container for the experiment (lab 05's SERVER_CONDITIONS).
    """
    run = helpers.lab.rollout_experiment(cluster, manifest, "orchestra/model:v2", rps=RPS, env=env)
    results = run.results
    failed = results[~results["ok"]]
    by_status = failed["status"].value_counts()
    served_ms = results.loc[results["ok"], "latency_ms"]
    return {
        "sent": len(results),
        "latency_p50_ms": round(float(served_ms.quantile(0.50)), 2),
        "latency_p99_ms": round(float(served_ms.quantile(0.99)), 2),
        "failed": len(failed),
        "failed_by_status": {str(k): int(v) for k, v in by_status.items()},
        # Lab 05's two causes: 503 (not yet Ready) and 502 (stopped while an endpoint).
        "failed_503": int(by_status.get(503, 0)),
        "failed_502": int(by_status.get(502, 0)),
        "served_v2": bool((results["version"] == "v2").any()),
    }


def connection_spread(cluster, seconds: float = 10) -> dict[str, Any]:
    """Lab 02: the share of answers from the busiest of 3 pods, for independent users (one
    connection each) and for one client that keeps its connections alive."""
    helpers.lab.reset(cluster)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout("model", timeout=300)
    out: dict[str, Any] = {}
    for name, keep_alive in (("users", False), ("keep_alive", True)):
        with cluster.traffic("model", rps=RPS, duration=seconds, keep_alive=keep_alive) as run:
            cluster.sleep(seconds)
        pods = run.results.loc[run.results["ok"], "pod"].value_counts()
        out[f"{name}_top_share"] = round(float(pods.iloc[0] / pods.sum()), 2) if len(pods) else 0
    return out


def node_loss(cluster, toleration_s: int = 30) -> dict[str, Any]:
    """Lab 04: stop the worker with most model pods; seconds to NodeNotReady and to recover."""
    helpers.lab.reset(cluster)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout("model", timeout=300)
    helpers.lab.set_tolerations(cluster, "model", toleration_s)
    cluster.wait_rollout("model", timeout=300)
    counts: dict[str, int] = {}
    for pod in cluster.snapshot()["pods"]:
        if pod.get("owner") == "model" and pod["node"]:
            counts[pod["node"]] = counts.get(pod["node"], 0) + 1
    lost = max(sorted(counts), key=counts.get)
    t0 = cluster.now()
    cluster.stop_node(lost)
    try:
        recovered = helpers.lab.recover(cluster, "model", since=t0, away_from=lost, timeout=900)
        timeline = helpers.lab.node_loss_timeline(cluster, lost, since=t0)
    finally:
        cluster.start_node(lost)
    not_ready = timeline[timeline["reason"] == "NodeNotReady"]["after_s"]
    return {
        "node": lost,
        "tolerationSeconds": toleration_s,
        "not_ready_s": float(not_ready.min()) if len(not_ready) else None,
        "recovered_s": float(recovered),
    }


def pod_startup(cluster, replicas: int = 8) -> dict[str, Any]:
    """Scale 3 -> ``replicas``: seconds from a pod's first sighting to Ready, p50 and p99."""
    helpers.lab.reset(cluster)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.wait_rollout("model", timeout=300)
    before = {p["name"] for p in cluster.snapshot()["pods"]}
    seen: dict[str, float] = {}
    ready: dict[str, float] = {}

    def watch(change: dict) -> None:
        row = change.get("row") or {}
        name = row.get("name")
        if change.get("kind") != "Pod" or name in before or name is None:
            return
        seen.setdefault(name, cluster.now())
        if row.get("ready"):
            ready.setdefault(name, cluster.now())

    unsubscribe = cluster.subscribe(watch)
    try:
        cluster.scale("model", replicas)
        cluster.wait_rollout("model", timeout=300)
    finally:
        unsubscribe()
    took = sorted(ready[n] - seen[n] for n in ready)
    return {
        "pods": len(took),
        "p50_s": round(statistics.median(took), 2) if took else None,
        "p99_s": round(took[min(len(took) - 1, int(0.99 * len(took)))], 2) if took else None,
    }


def hpa_scale_up(cluster, rps: int = 100, target_pct: int = 30, want: int = 5) -> dict[str, Any]:
    """Lab 03's HPA (3-8 pods) under ``rps``: seconds until ``want`` replicas.

    The load is one this 2-core host's generator sustains next to the kind nodes: 100 req/s
    are all answered (p50 ~8 ms) at ~2 ms of CPU each, ~67 % of a pod's 100m request; at
    800 req/s the generator itself saturates and only ~180 req/s reach the pods, so the
    pods' CPU, and with it the HPA's decision, would measure the host instead. The target
    (30 %) puts ``desired = ceil(3 x 67 / 30) = 7`` well past ``want`` on both backends, so
    the figure is the autoscaler's reaction time (metrics window + sync period), not a
    coin toss at the 4-or-5 boundary that 60 % gave.
    """
    helpers.lab.reset(cluster)
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout("model", timeout=300)
    hpa = helpers.lab.read_manifest("model-hpa.yaml")
    hpa["spec"].update(minReplicas=3, maxReplicas=8)
    hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = target_pct
    cluster.apply(hpa)
    t0 = cluster.now()
    with cluster.traffic("model", rps=rps, duration=240) as run:
        try:
            cluster.wait(
                lambda c: c.get("Deployment", "model")["spec"].get("replicas", 0) >= want,
                timeout=240,
                what=f"the HPA to scale deployment/model to {want}",
            )
        except LabTimeout as err:
            raise LabTimeout(f"{err.what} {hpa_state(cluster, run, t0)}") from None
        took = cluster.now() - t0

    # The HPA's decisions with their times: where a backend's scale-up time comes from. On
    # kind the event has its own watch and may arrive after the Deployment's new replicas.
    def rescales() -> list:
        return [
            [round(e["time"] - t0, 1), e["message"]]
            for e in cluster.event_rows()
            if e["reason"] == "SuccessfulRescale" and e["time"] >= t0 - 1
        ]

    cluster.wait(lambda c: bool(rescales()), timeout=30, what="the HPA's SuccessfulRescale event")
    return {
        "rps": rps,
        "target_pct": target_pct,
        "replicas": want,
        "scale_up_s": round(took, 1),
        "rescales": rescales(),
    }


def hpa_state(cluster, run, t0: float) -> str:
    """What the HPA saw and said since ``t0``, and the load it got: why it did not scale.

    Reads the autoscaler's status as ``kubectl describe hpa`` shows it (currentMetrics,
    the AbleToScale/ScalingActive/ScalingLimited conditions) and its events.
    """
    try:
        status = cluster.get("HorizontalPodAutoscaler", "model").get("status", {})
    except NotFound:
        return "horizontalpodautoscaler/model is gone."
    metrics = [m.get("resource", {}).get("current", {}) for m in status.get("currentMetrics") or []]
    conditions = [
        f"{c['type']}={c['status']} ({c.get('reason')}: {c.get('message')})"
        for c in status.get("conditions") or []
    ]
    events = [
        f"{e['reason']}: {e['message']}"
        for e in cluster.event_rows()
        if e["time"] >= t0 and e.get("object", "").lower().startswith(("horizontalpod", "hpa"))
    ]
    summary = run.summary()
    return (
        f"HPA status: replicas {status.get('currentReplicas')} -> {status.get('desiredReplicas')}, "
        f"CPU {metrics or 'unknown'}; conditions: {'; '.join(conditions) or 'none'}; "
        f"events: {'; '.join(events[-6:]) or 'none'}; traffic so far: {summary}."
    )


def lab05_practices(cluster) -> dict[str, dict[str, Any]]:
    """Lab 05's claims under SERVER_CONDITIONS: what the naive manifest loses and why, and
    what each practice prevents (readiness probe alone; readiness, preStop and strategy)."""
    conditions = helpers.lab.SERVER_CONDITIONS
    return {
        "naive": rollout_loss(cluster, "naive/model-naive.yaml", env=conditions),
        "readiness_only": rollout_loss(cluster, with_practices("readinessProbe"), env=conditions),
        "fixed": rollout_loss(cluster, with_practices(*PRACTICES), env=conditions),
    }
