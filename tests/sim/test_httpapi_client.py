"""The official `kubernetes` Python client lists and watches a simulated cluster."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def test_list_then_watch_from_the_list_version(apps):
    cluster, api_client = apps
    core = client.CoreV1Api(api_client)
    pods = core.list_namespaced_pod("default", label_selector="app=model")
    assert len(pods.items) == 3
    assert all(p.status.phase == "Running" for p in pods.items)

    def scale_up():  # what a notebook cell does: change, then let time pass
        cluster.patch("Deployment", "model", {"spec": {"replicas": 4}})
        cluster.sleep(5)

    scaler = threading.Timer(0.5, scale_up)
    scaler.start()
    added = []
    stream = watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=pods.metadata.resource_version,
        timeout_seconds=10,
    )
    for event in stream:
        if event["type"] == "ADDED":
            added.append(event["object"].metadata.name)
            break
    scaler.join()
    assert len(added) == 1 and added[0] not in {p.metadata.name for p in pods.items}


def test_watch_from_an_expired_version_is_410(apps):
    _, api_client = apps
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(
            core.list_namespaced_pod, "default", resource_version="1", timeout_seconds=5
        ):
            pass
    assert err.value.status == 410


def test_a_quiet_watch_gets_bookmarks_when_it_allows_them(apps, monkeypatch):
    """allowWatchBookmarks: the server sends BOOKMARK events carrying only a newer
    resourceVersion (api-concepts/#watch-bookmarks); here every 0.2 s instead of ~60 s."""
    from helpers.sim.httpapi import streams

    monkeypatch.setattr(streams, "BOOKMARK_S", 0.2)
    cluster, api_client = apps
    core = client.CoreV1Api(api_client)
    listed = core.list_namespaced_pod("default").metadata.resource_version
    cluster.patch("Deployment", "model", {"metadata": {"labels": {"touched": "yes"}}})
    stream = watch.Watch().stream(core.list_namespaced_pod, "default", resource_version=listed,
                                  allow_watch_bookmarks=True, timeout_seconds=3)  # fmt: skip
    # (the client hands a bookmark over as the raw object)
    marks = [
        e["raw_object"]["metadata"]["resourceVersion"] for e in stream if e["type"] == "BOOKMARK"
    ]
    assert marks and int(marks[-1]) > int(listed)  # the Deployment's change moved it on


def test_not_found_is_a_404_status(apps):
    _, api_client = apps
    with pytest.raises(ApiException) as err:
        client.AppsV1Api(api_client).read_namespaced_deployment("nope", "default")
    assert err.value.status == 404 and '"reason":"NotFound"' in err.value.body


@pytest.mark.parametrize("kind", ["pods", "deployments", "replicasets", "services", "nodes"])
def test_table_views_read_as_the_copied_objects(apps, kind):
    """The uncopied views behind Table lists print exactly what the objects' JSON prints."""
    from helpers.core.kinds import lookup
    from helpers.sim.httpapi import tables
    from helpers.sim.httpapi.verbs import Verbs

    cluster, _ = apps
    verbs, k = Verbs(cluster.api), lookup(kind)
    with cluster.lock:
        fast = tables.table(k.kind, verbs.views(k, "default", None, None), cluster.now(), "1")
        slow = tables.table(k.kind, verbs.list(k, "default", None, None), cluster.now(), "1")
    assert fast == slow


def test_full_lists_from_the_views_are_the_copied_objects_of_every_kind(apps):
    """A full list (kubectl get -o yaml) is encoded from the uncopied views: for every kind
    it must be the JSON the copied objects give, ConfigMaps and Secrets without a status
    (https://kubernetes.io/docs/concepts/configuration/configmap/)."""
    import json

    from helpers.core.kinds import KINDS
    from helpers.sim.httpapi.verbs import Verbs

    cluster, _ = apps
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                   "data": {"greeting": "hello"}})  # fmt: skip
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"},
                   "stringData": {"token": "s3cret"}})  # fmt: skip
    verbs = Verbs(cluster.api)
    for kind in KINDS.values():
        namespace = "default" if kind.namespaced else None
        with cluster.lock:
            fast = json.dumps(verbs.views(kind, namespace, None, None), sort_keys=True)
            slow = json.dumps(verbs.list(kind, namespace, None, None), sort_keys=True)
        assert fast == slow, kind.kind
        if kind.kind in ("ConfigMap", "Secret"):
            assert '"status"' not in fast, kind.kind


def test_lists_come_in_chunks_with_a_continue_token(apps):
    """limit/continue (api-concepts/#retrieving-large-results-sets-in-chunks)."""
    cluster, api_client = apps
    core = client.CoreV1Api(api_client)
    cluster.scale("model", 5)
    cluster.wait_rollout("model")
    everything = sorted(p.metadata.name for p in core.list_namespaced_pod("default").items)
    assert len(everything) == 5
    first = core.list_namespaced_pod("default", limit=2)
    assert len(first.items) == 2 and first.metadata.remaining_item_count == 3
    names = [p.metadata.name for p in first.items]
    token = first.metadata._continue
    while token:
        page = core.list_namespaced_pod("default", limit=2, _continue=token)
        names += [p.metadata.name for p in page.items]
        token = page.metadata._continue
    assert names == everything
    with pytest.raises(ApiException) as err:
        core.list_namespaced_pod("default", limit=2, _continue="not-a-token")
    assert err.value.status == 400 and "continue key is not valid" in err.value.body
