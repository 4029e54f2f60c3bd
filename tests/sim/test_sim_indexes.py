"""The store's indexes answer as a scan of the whole cluster would, and waits use them."""

from __future__ import annotations

import pytest

from helpers.core import labels
from helpers.core.api import Cluster
from helpers.errors import RolloutStuck
from tests.manifests import deployment, service


def _scan(store, kind, namespace, selector):
    reqs = labels.parse(selector)
    return [
        o
        for o in store.of_kind(kind)
        if o.namespace == namespace and labels.matches(reqs, o.labels)
    ]


def test_selections_match_a_full_scan_after_relabels_and_deletes(sim):
    sim.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    sim.apply([deployment("web", 3), deployment("api", 2), service("web")])
    sim.apply([deployment("web", 2, namespace="other")])
    sim.wait_rollout("web")
    sim.set_image("web", "orchestra/model:v2")
    sim.wait_rollout("web")
    pod = sim.pods("app=web")["name"].iloc[0]
    sim.patch("Pod", pod, {"metadata": {"labels": {"app": "orphan"}}})
    sim.delete("Deployment", "api")
    sim.sleep(60)
    for kind, ns, selector in [
        ("Pod", "default", "app=web"),
        ("Pod", "default", "app in (web, orphan)"),
        ("Pod", "default", "app!=web"),
        ("Pod", "other", "app=web"),
        ("Pod", "default", "app=api"),
        ("ReplicaSet", "default", {"matchLabels": {"app": "web"}}),
    ]:
        reqs = labels.parse(selector)
        assert sim.store.select(kind, ns, reqs) == _scan(sim.store, kind, ns, selector)
    assert sim.endpoints("web") == sorted(
        p.name for p in _scan(sim.store, "Pod", "default", "app=web") if p.is_ready
    )


def test_deployment_pods_are_the_snapshot_rows_of_its_owner(sim):
    sim.apply([deployment("web", 3), deployment("api", 2)])
    sim.wait_rollout("web")
    sim.set_image("web", "orchestra/model:v9-missing")
    sim.sleep(5)  # old and new pods side by side, the new ones failing to pull
    for name in ("web", "api", "web-nothing"):
        assert sim.deployment_pods(name) == Cluster.deployment_pods(sim, name)


def test_wait_rollout_reads_no_snapshot(sim, monkeypatch):
    sim.apply([deployment("web", 3)])

    def whole_cluster():
        raise AssertionError("wait_rollout read every object")

    monkeypatch.setattr(sim, "snapshot", whole_cluster)
    sim.wait_rollout("web")
    sim.set_image("web", "orchestra/model:v9-missing")
    with pytest.raises(RolloutStuck):
        sim.wait_rollout("web")
