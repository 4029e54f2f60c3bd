"""Property-based checks of the rolling-update invariants and determinism.

For any replicas, maxSurge, maxUnavailable and readiness delay: at every instant of a
rollout the pods (not terminating) stay <= replicas + maxSurge and the available ones
>= replicas - maxUnavailable, and the rollout completes when the new pods can get Ready.
https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-surge
https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-unavailable
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.sim import SimCluster
from helpers.sim.rolling import fenceposts
from tests.manifests import MANIFESTS, deployment

bound = st.one_of(st.integers(0, 3), st.sampled_from(["0%", "10%", "25%", "50%", "100%"]))


def _zero(v):
    return v in (0, "0%")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    replicas=st.integers(1, 8),
    surge=bound,
    unavailable=bound,
    delay=st.integers(0, 30),
    period=st.integers(1, 10),
)
def test_rollout_invariants_hold_at_every_change(replicas, surge, unavailable, delay, period):
    if _zero(surge) and _zero(unavailable):
        surge = 1
    strategy = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
    probe = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": period}
    env = [{"name": "MODEL_FAULT_SLOW_START_SECONDS", "value": str(delay)}]
    sim = SimCluster(seed=replicas, workers=3)
    sim.apply(
        deployment(
            replicas=replicas, strategy=strategy, container={"readinessProbe": probe, "env": env}
        )
    )
    sim.wait_rollout("web", timeout=600)
    max_surge, max_unavailable = fenceposts(strategy, replicas)
    seen = {"max_total": 0, "min_available": replicas}

    def check(change):
        if change["kind"] != "Pod":
            return
        live = [p for p in sim.snapshot()["pods"] if p["status"] != "Terminating"]
        seen["max_total"] = max(seen["max_total"], len(live))
        seen["min_available"] = min(seen["min_available"], sum(p["ready"] for p in live))

    sim.subscribe(check)
    sim.set_image("web", "orchestra/model:v2")
    state = sim.wait_rollout("web", timeout=3600)
    assert state.state == "complete"
    assert seen["max_total"] <= replicas + max_surge
    assert seen["min_available"] >= replicas - max_unavailable
    assert {p["version"] for p in sim.snapshot()["pods"] if p["status"] != "Terminating"} == {"v2"}


def scenario(seed):
    sim = SimCluster(seed=seed, workers=3)
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    with sim.traffic("model", rps=20) as run:
        sim.set_image("model", "orchestra/model:v2")
        sim.wait_rollout("model")
        sim.stop_node("orchestra-worker")
        sim.sleep(400)
    return sim.event_rows(), run.results, sorted(p["name"] for p in sim.snapshot()["pods"])


def test_same_seed_same_events_names_and_traffic():
    events_a, traffic_a, pods_a = scenario(7)
    events_b, traffic_b, pods_b = scenario(7)
    assert events_a == events_b
    assert pods_a == pods_b
    assert traffic_a.equals(traffic_b)
    _, _, pods_c = scenario(8)
    assert pods_c != pods_a
