"""kubectl drain's pod filters, checked before any eviction (helpers.core.drain).

Order and wording follow kubectl's source, k8s.io/kubectl/pkg/drain/filters.go (filters:
skip-deleted, DaemonSet, mirror pod, local storage, unreplicated; the first that keeps a pod
decides; errors are grouped as "cannot delete <reason>: ns/pod, ...") and the flags of
https://kubernetes.io/docs/reference/kubectl/generated/kubectl_drain/.
"""

from __future__ import annotations

import re

import pytest

from helpers.core.drain import pods_to_evict
from helpers.errors import LabError

NODE = "orchestra-worker"


def pod(name, owner=None, phase="Running", node=NODE, annotations=None, empty_dir=False):
    meta = {"name": name, "namespace": "default", "annotations": annotations or {}}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    spec = {"nodeName": node, "containers": [{"name": "c", "image": "orchestra/model:v1"}]}
    if empty_dir:
        spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    return {"metadata": meta, "spec": spec, "status": {"phase": phase}}


def exists(namespace, name):
    return name == "logger"


def test_managed_pods_on_the_node_are_evicted_others_left():
    pods = [pod("b", ("ReplicaSet", "rs")), pod("a", ("ReplicaSet", "rs")),
            pod("elsewhere", None, node="orchestra-worker2")]  # fmt: skip
    assert pods_to_evict(pods, NODE, exists) == [("default", "a"), ("default", "b")]


def test_a_bare_pod_refuses_the_drain_in_kubectls_words():
    pods = [pod("x"), pod("a", ("ReplicaSet", "rs"))]
    with pytest.raises(LabError) as err:
        pods_to_evict(pods, NODE, exists)
    assert (
        "cannot delete Pods that declare no controller (use --force to override): default/x"
        in err.value.what
    )
    assert "force=True" in err.value.hint
    assert pods_to_evict(pods, NODE, exists, force=True) == [("default", "a"), ("default", "x")]


def test_an_owner_reference_that_is_not_a_controller_does_not_count():
    bare = pod("x")
    bare["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "rs"}]
    with pytest.raises(LabError, match="declare no controller"):
        pods_to_evict([bare], NODE, exists)


def test_daemonset_pods_need_ignore_daemonsets_and_are_then_left_running():
    pods = [pod("logger-abcde", ("DaemonSet", "logger")), pod("a", ("ReplicaSet", "rs"))]
    with pytest.raises(LabError) as err:
        pods_to_evict(pods, NODE, exists)
    assert (
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): "
        "default/logger-abcde" in err.value.what
    )
    # --force does not override it: only --ignore-daemonsets does.
    with pytest.raises(LabError, match="DaemonSet-managed"):
        pods_to_evict(pods, NODE, exists, force=True)
    assert pods_to_evict(pods, NODE, exists, ignore_daemonsets=True) == [("default", "a")]


def test_a_pod_of_a_missing_daemonset_is_an_orphan_only_force_evicts():
    orphan = pod("gone-abcde", ("DaemonSet", "gone"))
    with pytest.raises(
        LabError,
        match=re.escape('cannot delete daemonsets.apps "gone" not found: default/gone-abcde'),
    ):
        pods_to_evict([orphan], NODE, exists, ignore_daemonsets=True)
    assert pods_to_evict([orphan], NODE, exists, force=True) == [("default", "gone-abcde")]


def test_empty_dir_needs_delete_emptydir_data():
    pods = [pod("a", ("ReplicaSet", "rs"), empty_dir=True)]
    with pytest.raises(
        LabError,
        match=r"cannot delete Pods with local storage \(use --delete-emptydir-data to override\): default/a",
    ):
        pods_to_evict(pods, NODE, exists)
    assert pods_to_evict(pods, NODE, exists, delete_emptydir_data=True) == [("default", "a")]


def test_mirror_pods_are_skipped_and_finished_pods_pass_every_filter():
    mirror = pod("etcd-x", annotations={"kubernetes.io/config.mirror": "abc"})
    done = pod("job-x", phase="Succeeded", empty_dir=True)
    ds_done = pod("logger-x", ("DaemonSet", "logger"), phase="Failed")
    assert pods_to_evict([mirror, done, ds_done], NODE, exists) == [
        ("default", "job-x"),
        ("default", "logger-x"),
    ]


def test_several_reasons_are_reported_together_and_nothing_is_chosen():
    pods = [pod("logger-abcde", ("DaemonSet", "logger")), pod("x"), pod("y")]
    with pytest.raises(LabError) as err:
        pods_to_evict(pods, NODE, exists)
    what = err.value.what
    assert what.startswith('unable to drain node "orchestra-worker": [cannot delete DaemonSet')
    assert "use --force to override): default/x, default/y]" in what
    assert "ignore_daemonsets=True" in err.value.hint and "force=True" in err.value.hint
