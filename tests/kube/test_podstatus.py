"""STATUS as `kubectl get pods` prints it, over pod JSON fixtures.

The expected values follow kubectl's pod printer, printPod in
https://github.com/kubernetes/kubernetes/blob/master/pkg/printers/internalversion/printers.go
and the statuses described at
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.kube.podstatus import pod_status, restarts
from helpers.kube.rows import owner_of

CASES = json.loads((Path(__file__).parent / "fixtures" / "pod_statuses.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_status_column_matches_kubectl(case):
    assert pod_status(case["pod"]) == case["status"]


def test_restarts_sum_app_containers():
    pod = next(c["pod"] for c in CASES if c["case"] == "crash loop")
    assert restarts(pod) == 4


def test_owner_is_the_deployment_behind_the_replicaset():
    """Pods of a Deployment carry pod-template-hash; their ReplicaSet is <deployment>-<hash>.

    https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label
    """
    meta = {
        "labels": {"pod-template-hash": "6d4b9c7f5"},
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-api-6d4b9c7f5"}],
    }
    assert owner_of({"metadata": meta}) == "web-api"
    bare = {"ownerReferences": [{"kind": "ReplicaSet", "name": "lonely"}]}
    assert owner_of({"metadata": bare}) == "lonely"
    assert owner_of({"metadata": {}}) is None
