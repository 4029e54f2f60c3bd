"""Realtime and virtual time run the same simulation (helpers/sim/realtime.py).

The scenario of a lab: apply, a rollout under traffic, a scale-up, a node lost and
recovered, once in virtual time and once in realtime at a high speed, seed 0. What is
equal, and why:

- the final state: Deployments (replicas, image), ReplicaSets (name, replicas), pods per
  (version, node), and even the pod names (the seeded name stream draws in the same
  order), because the same callbacks run in the same order;
- the sequence of events as (reason, object kind, scenario step), because every wait
  (``wait``, ``wait_rollout``, ``sleep``) returns at the cluster time it would in virtual
  time: the clock thread checks the waiter's condition after each change and holds the
  clock until the waiter resumes; and nothing is scheduled in the gaps below (each step
  starts on a settled cluster), so nothing happens in a different order;
- the traffic: requests, failures, latency percentiles and versions served (its schedule
  is fixed by ``duration`` and it runs inside one ``sleep``).

Not equal: absolute times. Between the cluster's creation, or a wait's return, and the
test's next call some wall time passes, and in realtime the clock moves on meanwhile
(wall time x speed: a fraction of a second here), so a step may start that much later.
An event's time after its step is equal when a chain of fixed delays leads to it from
the step (image pull, probes, grace periods), and equal within one period when a
periodic loop decides it, since such a loop keeps its beat on the cluster clock: the node
lifecycle controller looks every ``MONITOR_S`` (5 s), so NodeNotReady and the evictions
300 s later come up to 5 s earlier or later after the node is stopped.
"""

from __future__ import annotations

import time

import pytest

from helpers.core.paths import MANIFESTS
from helpers.sim import SimCluster
from helpers.sim.nodes import MONITOR_S

# 300x: the scenario's ~7 cluster minutes in about 1.5 s of wall time.
SPEED = 300.0
LOST = "orchestra-worker2"


def scenario(cluster) -> dict:
    steps: dict[str, float] = {}

    def step(name: str) -> None:
        steps[name] = cluster.now()

    step("apply")
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.wait_rollout("model")
    step("rollout")
    with cluster.traffic("model", rps=50, duration=60) as run:
        cluster.set_image("model", "orchestra/model:v2")
        cluster.sleep(60)
    cluster.wait_rollout("model")
    step("scale")
    cluster.scale("model", 5)
    cluster.wait_rollout("model")
    step("node loss")
    cluster.stop_node(LOST)
    cluster.wait(
        lambda c: (
            sum(
                1 for p in c.snapshot()["pods"] if p["ready"] and p["node"] != LOST and p["version"]
            )
            == 5
        ),
        timeout=900,
        what="5 Ready pods away from the lost node",
    )
    step("node back")
    cluster.start_node(LOST)
    cluster.wait(
        lambda c: all(n["ready"] == "True" for n in c.snapshot()["nodes"]),
        timeout=120,
        what="every node Ready",
    )
    return {"steps": steps, "summary": run.summary()}


def outcome(cluster, steps: dict[str, float]) -> dict:
    """What must be equal: state, and events as (reason, kind, step, time after step)."""
    starts = sorted(steps.items(), key=lambda kv: kv[1])

    def relative(t: float) -> tuple[str, float]:
        name, start = next((n, s) for n, s in reversed(starts) if s <= t)
        return name, round(t - start, 3)

    deployments = {
        d["metadata"]["name"]: (
            d["spec"]["replicas"],
            d["spec"]["template"]["spec"]["containers"][0]["image"],
        )
        for d in cluster.list_objects("Deployment")
    }
    replicasets = sorted(
        (r["metadata"]["name"], r["spec"]["replicas"]) for r in cluster.list_objects("ReplicaSet")
    )
    pods = sorted(
        (p["name"], p["version"], p["node"], p["status"]) for p in cluster.snapshot()["pods"]
    )
    events = [
        (e["reason"], e["object"].split("/")[0], *relative(e["time"])) for e in cluster.event_rows()
    ]
    return {"deployments": deployments, "replicasets": replicasets, "pods": pods, "events": events}


@pytest.mark.slow
def test_realtime_gives_the_state_events_and_traffic_of_virtual_time():
    with SimCluster(seed=0) as virtual:
        ran = scenario(virtual)
        expected = {**outcome(virtual, ran["steps"]), "summary": ran["summary"]}
    wall = time.monotonic()
    with SimCluster(seed=0, realtime=True, speed=SPEED) as live:
        ran = scenario(live)
        got = {**outcome(live, ran["steps"]), "summary": ran["summary"]}
        assert live._driver.errors == []
    wall = time.monotonic() - wall
    assert got["deployments"] == expected["deployments"] == {"model": (5, "orchestra/model:v2")}
    assert got["replicasets"] == expected["replicasets"]
    assert got["pods"] == expected["pods"]
    assert [e[:3] for e in got["events"]] == [e[:3] for e in expected["events"]]
    for a, b in zip(got["events"], expected["events"], strict=True):
        assert abs(a[3] - b[3]) <= MONITOR_S, (a, b)
    assert got["summary"] == expected["summary"]
    assert got["summary"]["requests"] == 3000 and got["summary"]["failed"] == 0
    assert wall < 60  # ~7 cluster minutes at 300x: a few seconds; generous for a busy machine
