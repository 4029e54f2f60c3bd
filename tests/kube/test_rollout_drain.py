"""wait_rollout fails early with the reason, and drain retries PDB refusals (429).

https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/
"""

from __future__ import annotations

import threading
import time

import pytest

import helpers.core.api
from helpers.errors import LabError, LabTimeout, NotFound, RolloutStuck
from tests import manifests


def progressing(fake, image="orchestra/model:v2", conditions=(), generation_seen=True):
    dep = fake.put(manifests.deployment("model", namespace="default", image=image))
    generation = dep["metadata"]["generation"]
    dep["status"] = {
        "observedGeneration": generation if generation_seen else generation - 1,
        "replicas": 4,
        "updatedReplicas": 1,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "conditions": list(conditions),
    }
    return fake.put(dep)


def later(seconds, action):
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_progress_deadline_exceeded_ends_the_wait_early(cluster, fake):
    progressing(fake)
    deadline = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "model-bbb" has timed out progressing.',
    }
    later(0.3, lambda: progressing(fake, conditions=[deadline]))
    started = time.monotonic()
    with pytest.raises(RolloutStuck) as err:
        cluster.wait_rollout("model", timeout=30)
    assert err.value.reason == "ProgressDeadlineExceeded"
    assert time.monotonic() - started < 10


def test_image_pull_back_off_of_a_new_pod_ends_the_wait_early(cluster, fake):
    progressing(fake, image="orchestra/model:v9")
    pod = dict(name="model-bbb-xxxxx", image="orchestra/model:v9", template_hash="bbb")
    fake.put(manifests.pod(**pod, waiting="ContainerCreating"))
    bad = manifests.pod(**pod, waiting="ImagePullBackOff")
    later(0.3, lambda: fake.put(bad))
    with pytest.raises(RolloutStuck) as err:
        cluster.wait_rollout("model", timeout=30)
    assert err.value.reason == "ImagePullBackOff"
    assert "model-bbb-xxxxx" in err.value.what


def test_complete_rollout_returns_and_a_slow_one_times_out(cluster, fake):
    dep = progressing(fake)
    with pytest.raises(LabTimeout, match="1 out of 3 new replicas"):
        cluster.wait_rollout("model", timeout=0.5)
    dep["spec"]["replicas"] = 3
    dep["status"].update(replicas=3, updatedReplicas=3, readyReplicas=3, availableReplicas=3)
    later(0.2, lambda: fake.put(dep))
    state = cluster.wait_rollout("model", timeout=10)
    assert state.state == "complete"


def test_evict_answers_false_on_429_and_not_found_when_gone(cluster, fake):
    fake.put(manifests.pod("model-aaa-11111", template_hash="aaa"))
    fake.evict_refusals["default/model-aaa-11111"] = 1
    assert cluster.evict("model-aaa-11111") is False
    assert cluster.evict("model-aaa-11111") is True
    assert fake.obj("Pod", "model-aaa-11111") is None
    with pytest.raises(NotFound):
        cluster.evict("model-aaa-11111")


def test_drain_retries_pdb_refusals_then_evicts(cluster, fake, monkeypatch):
    # kubectl drain waits 5 s between refused evictions; the behaviour, not the wait, is tested.
    monkeypatch.setattr(helpers.core.api, "EVICTION_RETRY_SECONDS", 0.05)
    for name in ("model-aaa-11111", "model-aaa-22222"):
        fake.put(manifests.pod(name, template_hash="aaa", node_name="orchestra-worker"))
    fake.put(manifests.pod("model-aaa-33333", template_hash="aaa", node_name="orchestra-worker2"))
    fake.evict_refusals["default/model-aaa-22222"] = 2  # the PDB refuses twice
    cluster.wait(lambda c: len(c.snapshot()["pods"]) == 3, timeout=10, what="pods")
    evicted = cluster.drain("orchestra-worker", timeout=30)
    assert sorted(evicted) == ["model-aaa-11111", "model-aaa-22222"]
    assert fake.count("POST", "/pods/model-aaa-22222/eviction") == 3
    assert fake.obj("Node", "orchestra-worker", None)["spec"]["unschedulable"] is True
    assert [p["name"] for p in cluster.snapshot()["pods"]] == ["model-aaa-33333"]


def test_drain_gives_up_when_the_pdb_keeps_refusing(cluster, fake, monkeypatch):
    monkeypatch.setattr(helpers.core.api, "EVICTION_RETRY_SECONDS", 0.05)
    fake.put(manifests.pod("model-aaa-11111", template_hash="aaa"))
    fake.evict_refusals["default/model-aaa-11111"] = 10**6
    cluster.wait(lambda c: len(c.snapshot()["pods"]) == 1, timeout=10, what="pods")
    with pytest.raises(LabTimeout, match="PodDisruptionBudget still refuses"):
        cluster.drain("orchestra-worker", timeout=0.3)


def test_after_an_undo_a_stale_deadline_waits_for_the_controller(cluster, fake):
    # Real kind, measured: after `rollout undo` of a stuck rollout the Deployment's
    # generation moves at once while its Progressing condition still says
    # ProgressDeadlineExceeded until the controller observes the new spec. kubectl's
    # rollout status reads nothing before observedGeneration catches up; neither do we.
    deadline = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "model-bbb" has timed out progressing.',
    }
    progressing(fake, conditions=[deadline], generation_seen=False)

    def controller_observes() -> None:
        dep = fake.obj("Deployment", "model")
        generation = dep["metadata"]["generation"]
        dep["status"] = {
            "observedGeneration": generation,
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 3,
            "availableReplicas": 3,
            "conditions": [
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ],
        }
        fake.put(dep)

    later(0.5, controller_observes)
    assert cluster.wait_rollout("model", timeout=30).state == "complete"


def test_drain_leaves_daemonset_pods_only_with_ignore_daemonsets(cluster, fake):
    """kubectl drain refuses DaemonSet pods unless --ignore-daemonsets, then leaves them running.

    k8s.io/kubectl/pkg/drain/filters.go (daemonSetFilter: the DaemonSet is looked up first)
    https://kubernetes.io/docs/reference/kubectl/generated/kubectl_drain/
    """
    fake.put({"apiVersion": "apps/v1", "kind": "DaemonSet",
              "metadata": {"name": "kube-proxy", "namespace": "default"}, "spec": {}})  # fmt: skip
    proxy = manifests.pod("kube-proxy-abcde", deployment=None)
    proxy["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy", "controller": True}
    ]
    fake.put(proxy)
    fake.put(manifests.pod("model-aaa-11111", template_hash="aaa"))
    cluster.wait(lambda c: len(c.snapshot()["pods"]) == 2, timeout=10, what="pods")
    with pytest.raises(
        LabError,
        match=r"DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): default/kube-proxy-abcde",
    ):
        cluster.drain("orchestra-worker", timeout=30)
    assert fake.count("POST", "/eviction") == 0
    assert cluster.drain("orchestra-worker", timeout=30, ignore_daemonsets=True) == [
        "model-aaa-11111"
    ]
    assert fake.obj("Pod", "kube-proxy-abcde") is not None
