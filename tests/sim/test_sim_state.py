"""Snapshots and change records follow helpers.core.state: replaying changes yields the snapshot."""

from helpers.core.state import apply_change
from tests.manifests import MANIFESTS, deployment


def test_replaying_changes_reproduces_the_snapshot(sim):
    start = sim.snapshot()
    changes = []
    sim.subscribe(changes.append)
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    sim.set_image("model", "orchestra/model:v2")
    sim.wait_rollout("model")
    sim.delete_pod(sim.pods()["name"].iloc[0])
    sim.sleep(30)
    replayed = start
    for change in changes:
        replayed = apply_change(replayed, change)
    now = sim.snapshot()
    for section in ("nodes", "pods", "deployments", "services", "events"):
        assert replayed[section] == now[section], section
    kinds = {c["kind"] for c in changes}
    assert kinds == {"Node", "Pod", "Deployment", "Service", "Event"}
    deleted = [c for c in changes if c["type"] == "DELETED"]
    assert deleted and all(c["row"] is None for c in deleted)
    assert all(c["key"].startswith("default/") for c in changes if c["kind"] == "Pod")


def test_unsubscribe_stops_changes(sim):
    changes = []
    stop = sim.subscribe(changes.append)
    stop()
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.sleep(10)
    assert changes == []


def test_events_table_on_the_cluster_clock(sim):
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.sleep(10)
    table = sim.events(since=0.5)
    assert list(table.columns) == ["time", "type", "object", "reason", "message"]
    assert table["time"].min() >= 0.5
    assert sim.snapshot()["events"] == sim.event_rows()[-50:]


def test_event_objects_count_repeats(sim):
    """Repeated events are one Event with a count (kubectl get events shows "x12")."""
    sim.apply(
        deployment(
            replicas=1,
            image="orchestra/model:v3",
            container={
                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 5}
            },
        )
    )
    sim.sleep(60)
    unhealthy = [
        e for e in sim.list_objects("Event") if e["reason"] == "Unhealthy" and "503" in e["message"]
    ]
    assert len(unhealthy) == 1 and unhealthy[0]["count"] >= 10
    assert unhealthy[0]["involvedObject"]["kind"] == "Pod"
