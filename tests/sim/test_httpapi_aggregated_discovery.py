"""Aggregated discovery (apidiscovery.k8s.io/v2, KEP-3352) on the simulator's API server.

kubectl 1.36 asks ``/api`` and ``/apis`` for ``as=APIGroupDiscoveryList`` and, when the
response's Content-Type says it came (client-go ``ContentTypeIsGVK``), needs no request per
group-version. Clients that do not ask get the unaggregated documents.
https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery
"""

from __future__ import annotations

import subprocess

import pytest

from helpers.sim import SimCluster
from helpers.sim.httpapi import discovery
from tests.sim.httpapi_kit import KUBECTL, kubectl_binary, needs_kubectl  # noqa: F401

KUBECTL_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@pytest.mark.parametrize(
    "accept, wanted",
    [
        (KUBECTL_ACCEPT, True),
        ("application/json; as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io", True),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", False),
        ("application/json", False),
        ("", False),
    ],
)
def test_only_an_accept_naming_v2_gets_the_aggregated_form(accept, wanted):
    assert discovery.wants_aggregated(accept) is wanted


def resources_of(doc: dict, group: str, version: str) -> dict[str, dict]:
    (item,) = [i for i in doc["items"] if i["metadata"].get("name", "") == group]
    (found,) = [v for v in item["versions"] if v["version"] == version]
    assert found["freshness"] == "Current"
    return {r["resource"]: r for r in found["resources"]}


def test_the_core_group_lists_its_resources_with_their_subresources():
    doc = discovery.aggregated("/api")
    assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    core = resources_of(doc, "", "v1")
    pods = core["pods"]
    assert pods["scope"] == "Namespaced" and pods["singularResource"] == "pod"
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    subs = {s["subresource"]: s for s in pods["subresources"]}
    assert subs["eviction"]["responseKind"] == {
        "group": "policy",
        "version": "v1",
        "kind": "Eviction",
    }
    assert subs["eviction"]["verbs"] == ["create"] and {"log", "status"} <= set(subs)
    assert core["nodes"]["scope"] == "Cluster"
    assert "pods/eviction" not in core  # a subresource is not a resource of its own


def test_every_group_is_listed_once_with_scale_and_the_aggregated_metrics_api():
    doc = discovery.aggregated("/apis")
    names = [i["metadata"]["name"] for i in doc["items"]]
    assert len(names) == len(set(names))
    assert {"apps", "autoscaling", "policy", "discovery.k8s.io", "events.k8s.io",
            "metrics.k8s.io"} <= set(names)  # fmt: skip
    deployments = resources_of(doc, "apps", "v1")["deployments"]
    (scale,) = [s for s in deployments["subresources"] if s["subresource"] == "scale"]
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    metrics = resources_of(doc, "metrics.k8s.io", "v1beta1")
    assert metrics["pods"]["responseKind"]["kind"] == "PodMetrics"
    assert resources_of(doc, "events.k8s.io", "v1")["events"]["verbs"] == ["get", "list", "watch"]
    assert discovery.aggregated("/api/v1") is None


@needs_kubectl
def test_kubectl_discovers_with_two_requests_instead_of_one_per_group_version(tmp_path):
    cluster = SimCluster(seed=0)
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    try:
        out = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(tmp_path / "kubeconfig"),
             "--cache-dir", str(tmp_path / "cache"), "get", "deployments", "-v=6"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        handle.close()
        cluster.close()
    assert out.returncode == 0, out.stderr
    urls = [line.split('url="', 1)[1].split("?")[0].split('"')[0]
            for line in out.stderr.splitlines() if 'url="' in line]  # fmt: skip
    paths = ["/" + u.split("/", 3)[3] for u in urls]
    assert paths == ["/api", "/apis", "/apis/apps/v1/namespaces/default/deployments"]
