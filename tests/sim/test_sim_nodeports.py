"""NodePort allocation as the API server does it: one cluster-wide pool in 30000-32767.

https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
https://kubernetes.io/docs/concepts/services-networking/service/#avoid-nodeport-collisions
kubernetes pkg/registry/core/service/portallocator/allocator.go (ErrAllocated, ErrNotInRange,
calculateRangeOffset: the static band is min(max(16, 2768 / 32), 128) = 86 ports)
pkg/apis/core/validation/validation.go (nodePort Forbidden for ClusterIP, Duplicate value)
"""

import re

import pytest

from helpers.errors import ManifestError
from tests.manifests import namespace, service


def node_port(sim, name, ns="default"):
    return sim.get("service", name, ns)["spec"]["ports"][0]["nodePort"]


def test_a_taken_node_port_is_refused_in_any_namespace_and_freed_on_delete(sim):
    sim.apply(namespace("demo"))
    sim.apply(service("web", node_port=30080))
    with pytest.raises(ManifestError) as err:
        sim.apply(service("other", node_port=30080, namespace="demo"))
    assert err.value.what == (
        "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
    )
    sim.apply(service("web", node_port=30080))  # its own port: re-applying is fine
    assert node_port(sim, "web") == 30080
    sim.delete("service", "web")
    sim.apply(service("other", node_port=30080, namespace="demo"))
    assert node_port(sim, "other", "demo") == 30080


def test_out_of_range_is_refused_with_the_valid_range(sim):
    msg = (
        "spec.ports[0].nodePort: Invalid value: 32768: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767"
    )
    with pytest.raises(ManifestError, match=re.escape(msg)):
        sim.apply(service("web", node_port=32768))


def test_allocated_ports_are_unique_and_stay_above_the_static_band(sim):
    ports = set()
    for i in range(40):
        svc = service(f"s{i}")
        svc["spec"]["type"] = "NodePort"
        sim.apply(svc)
        ports.add(node_port(sim, f"s{i}"))
    assert len(ports) == 40
    assert all(30086 <= p <= 32767 for p in ports)  # 30000-30085 wait for explicit requests


def test_node_port_is_forbidden_on_a_cluster_ip_service(sim):
    svc = service("web", node_port=30080)
    svc["spec"]["type"] = "ClusterIP"
    with pytest.raises(
        ManifestError,
        match=re.escape(
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
        ),
    ):
        sim.apply(svc)


def test_changing_the_type_to_cluster_ip_drops_and_frees_the_node_port(sim):
    sim.apply(service("web", node_port=30080))
    sim.patch("service", "web", {"spec": {"type": "ClusterIP"}})
    assert "nodePort" not in sim.get("service", "web")["spec"]["ports"][0]
    sim.apply(service("other", node_port=30080))


def test_the_same_node_port_twice_in_one_service_is_a_duplicate(sim):
    svc = service("web", node_port=30080)
    svc["spec"]["ports"][0]["name"] = "a"
    svc["spec"]["ports"].append({"name": "b", "port": 81, "nodePort": 30080})
    with pytest.raises(
        ManifestError, match=re.escape("spec.ports[1].nodePort: Duplicate value: 30080")
    ):
        sim.apply(svc)
