"""Service ports: targetPort defaulting, per-pod resolution, Endpoints/EndpointSlice ports,
and traffic to a port nothing listens on.

targetPort defaults to port, and a named targetPort resolves per pod to the container port
of that name: https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service
and #field-spec-ports. EndpointSlice ports carry the Service port's name and protocol:
https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/ (kubernetes
pkg/controller/endpointslice: getEndpointPorts skips a port a pod cannot resolve).
The model server listens on 8080 (cluster/model/Dockerfile: ENV PORT=8080, EXPOSE 8080).
"""

import re

import pytest
from orchestra_model.data import sample_rows

from helpers.errors import ManifestError, ServiceUnavailable
from helpers.sim.routing import STATUS_REFUSED
from tests.manifests import deployment, service

NAMED = [{"name": "http-web-svc", "containerPort": 8080}]


def svc(target=None, name=None, port=80):
    out = service("web", port=port)
    del out["spec"]["ports"][0]["targetPort"]
    if target is not None:
        out["spec"]["ports"][0]["targetPort"] = target
    if name is not None:
        out["spec"]["ports"][0]["name"] = name
    return out


def serve(sim, manifest, **dep):
    sim.apply(manifest)
    sim.apply(deployment(replicas=2, **dep))
    sim.wait_rollout("web")
    sim.sleep(5)  # past kube-proxy's propagation delay and the model load (no readiness probe)


def load(sim, seconds=5):
    with sim.traffic("web", rps=20) as run:
        sim.sleep(seconds)
    return run.results


def test_target_port_defaults_to_port_so_port_80_in_front_of_8080_is_refused(sim):
    serve(sim, svc())
    assert sim.get("service", "web")["spec"]["ports"][0]["targetPort"] == 80
    ports = sim.get("endpoints", "web")["subsets"][0]["ports"]
    assert ports == [{"port": 80, "protocol": "TCP"}]
    results = load(sim)
    assert len(results) and not results["ok"].any()
    assert set(results["status"]) == {STATUS_REFUSED}  # 502, as the kind backend reports it
    with pytest.raises(ServiceUnavailable) as err:
        sim.service("web").predict(sample_rows(1))
    assert err.value.status == STATUS_REFUSED
    assert "nothing listens on port 80" in err.value.what and "listens on 8080" in err.value.what
    assert "targetPort" in err.value.hint


def test_a_target_port_nothing_listens_on_is_refused(sim):
    serve(sim, svc(target=9999))
    assert set(load(sim)["status"]) == {STATUS_REFUSED}


def test_target_port_8080_reaches_the_server(sim):
    serve(sim, svc(target=8080))
    assert load(sim)["ok"].all()


def test_a_named_target_port_resolves_per_pod_and_keeps_the_port_name(sim):
    serve(sim, svc(target="http-web-svc", name="http"), container={"ports": NAMED})
    (subset,) = sim.get("endpoints", "web")["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert len(subset["addresses"]) == 2
    (sl,) = sim.list_objects("EndpointSlice", selector="kubernetes.io/service-name=web")
    assert sl["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert sl["addressType"] == "IPv4" and len(sl["endpoints"]) == 2
    assert all(e["conditions"] == {"ready": True, "serving": True, "terminating": False}
               for e in sl["endpoints"])  # fmt: skip
    assert sim.get("endpointslice", sl["metadata"]["name"]) == sl
    assert load(sim)["ok"].all()


def test_a_pod_without_the_named_port_gets_no_endpoint_for_it(sim):
    sim.apply(svc(target="http-web-svc", name="http"))
    for name, container in (("named", {"ports": NAMED}), ("plain", {})):
        dep = deployment(name, replicas=2, container=container)
        dep["spec"]["template"]["metadata"]["labels"]["app"] = "web"  # both behind the Service
        dep["spec"]["selector"]["matchLabels"] = {"app": "web", "dep": name}
        dep["spec"]["template"]["metadata"]["labels"]["dep"] = name
        sim.apply(dep)
        sim.wait_rollout(name)
    sim.sleep(5)
    (subset,) = sim.get("endpoints", "web")["subsets"]
    assert {a["targetRef"]["name"].split("-")[0] for a in subset["addresses"]} == {"named"}
    slices = sim.list_objects("EndpointSlice", selector="kubernetes.io/service-name=web")
    (empty,) = [sl for sl in slices if sl["ports"] == []]
    (http,) = [sl for sl in slices if sl["ports"]]
    assert http["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    names = {e["targetRef"]["name"].split("-")[0] for e in empty["endpoints"]}
    assert names == {"plain"} and len(empty["endpoints"]) == 2  # listed, no port to reach
    results = load(sim)
    assert results["ok"].all() and {p.split("-")[0] for p in results["pod"]} == {"named"}


def test_changing_the_target_port_reaches_kube_proxy_after_its_delay(sim):
    serve(sim, svc(target=8080))
    with sim.traffic("web", rps=20) as run:
        sim.sleep(2)
        changed = sim.now()
        sim.patch("service", "web", {"spec": {"ports": [{"port": 80, "targetPort": 9999}]}})
        sim.sleep(5)
    df = run.results
    assert df[df["t"] < changed]["ok"].all()
    assert set(df[df["t"] > changed + 1.5]["status"]) == {STATUS_REFUSED}


def test_an_unnamed_port_has_no_name_in_endpoints_and_an_empty_one_in_slices(sim):
    serve(sim, svc(target=8080))
    assert sim.get("endpoints", "web")["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    (sl,) = sim.list_objects("EndpointSlice")
    assert sl["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    assert sl["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )


def test_a_server_on_another_port_is_reached_through_it(sim):
    env = [{"name": "PORT", "value": "9000"}]
    serve(sim, svc(target=9000), container={"env": env, "ports": [{"containerPort": 9000}]})
    assert load(sim)["ok"].all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targetPort": "8080"}, 'spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'),
        ({"targetPort": 70000}, "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ({"protocol": "HTTP"}, 'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
        # A Service port's own name is a DNS-1123 label (validateServicePort), not a port name.
        ({"name": "Web_1"}, 'spec.ports[0].name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of'),
    ],
)  # fmt: skip
def test_ports_are_checked_in_the_api_servers_words(sim, change, message):
    manifest = svc()
    manifest["spec"]["ports"][0].update(change)
    with pytest.raises(ManifestError, match=re.escape(message)):
        sim.apply(manifest)


def test_a_service_port_may_be_named_by_numbers(sim):
    """`kubectl create service nodeport web --tcp=80:8080` names the port "80-8080": a
    valid DNS-1123 label (pkg/apis/core/validation v1.36, validateServicePort)."""
    manifest = svc(target=8080)
    manifest["spec"]["ports"][0]["name"] = "80-8080"
    sim.apply(manifest)
    assert sim.get("Service", manifest["metadata"]["name"])["spec"]["ports"][0]["name"] == "80-8080"


def test_several_ports_need_names(sim):
    manifest = svc(target=8080)
    manifest["spec"]["ports"].append({"port": 81, "targetPort": 8080})
    with pytest.raises(ManifestError, match=re.escape("spec.ports[0].name: Required value")):
        sim.apply(manifest)
