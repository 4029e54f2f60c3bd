"""events.k8s.io/v1 Events on the simulator's API server: the same Events as core/v1, in the
events API's fields, through the official client (EventsV1Api) and the real kubectl.

The API server stores one Event and converts it (kubernetes pkg/apis/events/v1/conversion.go):
regarding = involvedObject, note = message, deprecatedCount/-FirstTimestamp/-LastTimestamp =
count/firstTimestamp/lastTimestamp, deprecatedSource = source.
https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
"""

from __future__ import annotations

import json
import threading

from kubernetes import client

from helpers.sim.httpapi.eventsv1 import to_events_v1
from tests.sim.httpapi_kit import kubectl_binary, needs_kubectl, serving  # noqa: F401


def test_conversion_renames_the_fields_and_keeps_the_rest():
    core = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "model.1", "namespace": "default"},
        "involvedObject": {"kind": "Deployment", "name": "model", "namespace": "default"},
        "type": "Normal", "reason": "ScalingReplicaSet", "message": "Scaled up",
        "count": 2, "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:05Z",
    }  # fmt: skip
    out = to_events_v1(core)
    assert out["apiVersion"] == "events.k8s.io/v1" and out["kind"] == "Event"
    assert out["regarding"] == core["involvedObject"] and out["note"] == "Scaled up"
    assert out["deprecatedCount"] == 2
    assert out["deprecatedFirstTimestamp"] == "2026-01-01T00:00:00Z"
    assert out["deprecatedLastTimestamp"] == "2026-01-01T00:00:05Z"
    assert out["eventTime"] is None and out["deprecatedSource"] == {}
    assert not {"involvedObject", "message", "count", "firstTimestamp"} & set(out)
    assert core["message"] == "Scaled up" and "note" not in core  # the input is unchanged


def test_discovery_lists_the_events_group_beside_core_events(apps):
    _, api_client = apps
    groups = client.ApisApi(api_client).get_api_versions().groups
    events = next(g for g in groups if g.name == "events.k8s.io")
    assert events.preferred_version.group_version == "events.k8s.io/v1"
    resources = client.EventsV1Api(api_client).get_api_resources().resources
    (event,) = [r for r in resources if r.name == "events"]
    assert event.kind == "Event" and event.namespaced and event.short_names == ["ev"]
    assert sorted(event.verbs) == ["get", "list", "watch"]


def raw(api_client, path: str, **params):
    """GET ``path`` as JSON, not through the generated models: k8s.io/api marks eventTime
    optional in what the server returns (null for an Event recorded through core/v1, as
    the kubelet and the controllers still record them), while the Python client's model
    requires it; a real cluster's list fails the same way in EventsV1Api."""
    conf = api_client.configuration
    response = api_client.rest_client.pool_manager.request(
        "GET",
        conf.host + path,
        fields=params,
        headers={"Authorization": conf.api_key["BearerToken"], "Accept": "application/json"},
        preload_content=False,
    )
    return response


def get_json(api_client, path: str, **params) -> dict:
    response = raw(api_client, path, **params)
    body = json.loads(response.read())
    assert response.status == 200, body
    return body


EVENTS_V1 = "/apis/events.k8s.io/v1/namespaces/default/events"


def test_the_same_events_list_in_both_versions(apps):
    _, api_client = apps
    core = client.CoreV1Api(api_client).list_namespaced_event("default").items
    listed = get_json(api_client, EVENTS_V1)
    assert listed["kind"] == "EventList" and listed["apiVersion"] == "events.k8s.io/v1"
    v1 = listed["items"]
    assert core and len(v1) == len(core)
    by_name = {e.metadata.name: e for e in core}
    for event in v1:
        twin = by_name[event["metadata"]["name"]]
        assert event["note"] == twin.message and event["reason"] == twin.reason
        assert event["regarding"]["name"] == twin.involved_object.name
        assert event["deprecatedCount"] == twin.count
        assert event["eventTime"] is None  # recorded through core/v1
    one = get_json(api_client, f"{EVENTS_V1}/{v1[0]['metadata']['name']}")
    assert one["note"] == v1[0]["note"] and one["apiVersion"] == "events.k8s.io/v1"


def test_a_field_selector_reads_the_events_api_field_names(apps):
    _, api_client = apps
    events = get_json(
        api_client, EVENTS_V1, fieldSelector="regarding.kind=Deployment,reason=ScalingReplicaSet"
    )["items"]
    assert events and {e["regarding"]["name"] for e in events} == {"model"}


def test_a_watch_streams_new_events_converted(apps):
    cluster, api_client = apps
    version = get_json(api_client, EVENTS_V1)["metadata"]["resourceVersion"]

    def scale_up():
        cluster.patch("Deployment", "model", {"spec": {"replicas": 4}})
        cluster.sleep(5)

    scaler = threading.Timer(0.5, scale_up)
    scaler.start()
    response = raw(
        api_client, EVENTS_V1, watch="true", resourceVersion=version, timeoutSeconds="10"
    )
    seen = None
    buffer = b""
    for chunk in response.stream(1024):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            event = json.loads(line)
            obj = event["object"]
            if event["type"] == "ADDED" and obj.get("reason") == "ScalingReplicaSet":
                seen = obj
        if seen:
            break
    response.release_conn()
    scaler.join()
    assert seen is not None and "to 4" in seen["note"]
    assert seen["apiVersion"] == "events.k8s.io/v1" and seen["regarding"]["kind"] == "Deployment"


def test_writes_are_refused_in_kubernetes_status_form(apps):
    _, api_client = apps
    conf = api_client.configuration
    response = api_client.rest_client.pool_manager.request(
        "POST",
        conf.host + EVENTS_V1,
        body=json.dumps({"apiVersion": "events.k8s.io/v1", "kind": "Event"}),
        headers={"Authorization": conf.api_key["BearerToken"],
                 "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status == 405
    assert json.loads(response.data)["kind"] == "Status"


@needs_kubectl
def test_kubectl_gets_events_of_the_events_group(tmp_path):
    with serving(tmp_path, deployed=True) as (_, kubectl):
        out = kubectl("get", "events.events.k8s.io", "-o", "json")
        assert out.returncode == 0, out.stderr
        items = json.loads(out.stdout)["items"]
        assert items and all(i["apiVersion"] == "events.k8s.io/v1" and "note" in i for i in items)
        table = kubectl("get", "events.events.k8s.io")
        assert table.returncode == 0, table.stderr
        assert table.stdout.split()[:5] == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT"]
        # A Table list selects on the events API's field names too.
        deployments = kubectl(
            "get", "events.events.k8s.io", "--field-selector", "regarding.kind=Deployment"
        )
        rows = deployments.stdout.splitlines()[1:]
        assert rows and all("deployment/model" in row for row in rows), deployments.stdout
        # The plain name keeps meaning the core group, as on a real cluster.
        plain = kubectl("get", "events", "-o", "json")
        first = json.loads(plain.stdout)["items"][0]
        assert first["apiVersion"] == "v1"
        # One Event by name, in either group (kubectl get event NAME).
        name = first["metadata"]["name"]
        for resource in ("event", "events.events.k8s.io"):
            one = kubectl("get", resource, name, "-o", "json")
            assert one.returncode == 0, one.stderr
            assert json.loads(one.stdout)["metadata"]["name"] == name
        missing = kubectl("get", "event", "no-such-event")
        assert 'events "no-such-event" not found' in missing.stderr
