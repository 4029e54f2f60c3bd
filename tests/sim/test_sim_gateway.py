"""Service-to-service traffic on the simulator: the gateway of lab 08 calls the model by DNS.

What the simulated gateway must reproduce, with sources:
- a pod resolves a Service by its name in its own namespace, and by name.namespace,
  name.namespace.svc and the full name; another name does not resolve
  (kubernetes.io/docs/concepts/services-networking/dns-pod-service/);
- a Service is reached on its ``port``; targetPort is the pods' port
  (kubernetes.io/docs/concepts/services-networking/service/#defining-a-service);
- environment variables from a ConfigMap or Secret are read when the container starts; a
  change reaches running pods only when they restart
  (kubernetes.io/docs/concepts/configuration/configmap/#configmaps-and-pods:
  "ConfigMaps consumed as environment variables are not updated automatically");
- the model checks a bearer token when MODEL_TOKEN is set, and the gateway sends its own
  (cluster/model/README.md).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from helpers.core.clusterdns import Target, lookup
from helpers.errors import ServiceUnavailable
from helpers.sim.httpapi.subresources import pod_log
from tests.manifests import MANIFESTS

MICRO = MANIFESTS / "microservices"


def _load(name):
    return yaml.safe_load((MICRO / name).read_text())


def _model(token_ref=False):
    model = yaml.safe_load((MANIFESTS / "model-deployment.yaml").read_text())
    if token_ref:
        env = model["spec"]["template"]["spec"]["containers"][0]["env"]
        env.append(
            {"name": "MODEL_TOKEN",
             "valueFrom": {"secretKeyRef": {"name": "model-token", "key": "token"}}}
        )  # fmt: skip
    return model


def _gateway(token_ref=False):
    gw = _load("gateway-deployment.yaml")
    if token_ref:
        env = gw["spec"]["template"]["spec"]["containers"][0]["env"]
        env.append(
            {"name": "MODEL_TOKEN",
             "valueFrom": {"secretKeyRef": {"name": "model-token", "key": "token"}}}
        )  # fmt: skip
    return gw


def _config(url="http://model", timeout="2"):
    cm = _load("gateway-config.yaml")
    cm["data"] = {"MODEL_URL": url, "GATEWAY_TIMEOUT_S": timeout}
    return cm


def _secret(value="s3cret-classroom-token"):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "model-token"},
            "stringData": {"token": value}}  # fmt: skip


def deploy(sim, url="http://model", model=None, gateway=None, extra=()):
    for obj in (*extra, _model() if model is None else model, _load("model-service.yaml"),
                _config(url), _gateway() if gateway is None else gateway,
                _load("gateway-service.yaml")):  # fmt: skip
        sim.apply(obj)
    sim.wait_rollout("model")
    sim.wait_rollout("gateway")
    sim.sleep(3)  # past kube-proxy's propagation delay (1 s)


def load(sim, service="gateway", seconds=5):
    with sim.traffic(service, rps=20) as run:
        sim.sleep(seconds)
    return run.results


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("http://model", Target("model", "default", 80, "model")),
        ("http://model.default", Target("model", "default", 80, "model.default")),
        ("http://model.shop.svc:8080", Target("model", "shop", 8080, "model.shop.svc")),
        ("http://model.default.svc.cluster.local.",
         Target("model", "default", 80, "model.default.svc.cluster.local")),
        ("http://model.example.com", Target(None, "default", 80, "model.example.com", "resolve")),
        ("http://localhost:8080", Target(None, "default", 8080, "localhost", "loopback")),
    ],
)  # fmt: skip
def test_cluster_dns_names_of_a_service(url, want):
    assert lookup(url, "default") == want


def test_an_url_without_http_scheme_is_refused():
    with pytest.raises(ValueError, match="http://"):
        lookup("model:80", "default")


def test_the_gateway_reaches_the_model_by_its_service_name(sim):
    deploy(sim)
    results = load(sim)
    assert len(results) >= 90 and results["ok"].all()
    model_pods = {p["name"] for p in sim.pods("app=model").to_dict("records")}
    # The answers name the model's pods and version, as the gateway copies X-Pod and
    # X-Model-Version from the model's answer.
    assert set(results["pod"]) <= model_pods and len(set(results["pod"])) == 3
    assert set(results["version"]) == {"v1"}
    # The gateway's pods run the gateway: Ready without loading a model.
    assert len(sim.deployment_pods("gateway")) == 2


def test_a_name_no_service_has_is_a_502_and_the_gateway_stays_ready(sim):
    deploy(sim, url="http://model-api")
    results = load(sim)
    assert len(results) and set(results["status"]) == {502}
    assert results["pod"].isna().all()
    assert all(p["ready"] for p in sim.deployment_pods("gateway"))


def test_the_pods_port_instead_of_the_services_port_times_out(sim):
    deploy(sim, url="http://model:8080")
    results = load(sim)
    assert set(results["status"]) == {504}
    assert results["latency_ms"].min() >= 2000  # GATEWAY_TIMEOUT_S


def test_a_configmap_change_reaches_the_gateway_only_after_a_restart(sim):
    deploy(sim, url="http://model-api")
    sim.apply(_config("http://model"))
    sim.sleep(30)
    assert set(load(sim)["status"]) == {502}, "env from a ConfigMap is read at start only"
    sim.rollout_restart("gateway")
    sim.wait_rollout("gateway")
    sim.sleep(3)
    assert load(sim)["ok"].all()


def test_the_model_asks_for_its_token_and_the_gateway_sends_it(sim):
    deploy(sim, model=_model(token_ref=True), extra=[_secret()])
    # The gateway without the token: the model answers 401, the gateway 502.
    assert set(load(sim)["status"]) == {502}
    # Straight to the model (no token) from inside the cluster: 401.
    assert set(load(sim, service="model")["status"]) == {401}
    sim.apply(_gateway(token_ref=True))
    sim.wait_rollout("gateway")
    sim.sleep(3)
    assert load(sim)["ok"].all()


def test_a_wrong_token_is_refused(sim):
    gw = _gateway()
    gw["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "MODEL_TOKEN", "value": "not-the-token"}
    )
    deploy(sim, model=_model(token_ref=True), gateway=gw, extra=[_secret()])
    assert set(load(sim)["status"]) == {502}


def test_a_model_rollout_shows_in_the_gateways_traffic_without_failures(sim):
    deploy(sim)
    with sim.traffic("gateway", rps=20) as run:
        sim.set_image("model", "orchestra/model:v2")
        sim.wait_rollout("model")
        sim.sleep(5)
    results = run.results
    assert results["ok"].all()
    assert results["version"].iloc[0] == "v1"
    assert results["version"].iloc[-1] == "v2"


def test_a_model_scaled_to_zero_shows_as_the_gateways_502(sim):
    deploy(sim)
    sim.scale("model", 0)
    sim.sleep(40)
    results = load(sim)
    assert set(results["status"]) == {502}
    assert all(p["ready"] for p in sim.deployment_pods("gateway"))


def test_a_bad_gateway_timeout_is_refused_in_the_servers_words(sim):
    sim.apply(_config(timeout="soon"))
    gw = copy.deepcopy(_gateway())
    gw["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "GATEWAY_TIMEOUT_S", "value": "soon"}
    )
    with pytest.raises(Exception, match="GATEWAY_TIMEOUT_S"):
        sim.apply(gw)


def test_a_gateway_failure_reads_as_the_gateways_answer(sim):
    deploy(sim, url="http://model-api")
    with pytest.raises(ServiceUnavailable) as err:
        sim.service("gateway").predict([[0.0] * 64])
    assert err.value.status == 502
    assert err.value.what == (
        "service/gateway answered 502: cannot resolve 'model-api' (MODEL_URL=http://model-api): "
        "is there a Service of that name in this namespace?"
    )  # the words of cluster/model's gateway (tests/model/test_gateway.py)


def test_a_gateway_pods_log_says_where_it_forwards_and_nothing_of_the_token(sim):
    deploy(sim, model=_model(token_ref=True), gateway=_gateway(token_ref=True), extra=[_secret()])
    pod = sim.deployment_pods("gateway")[0]["name"]
    log = pod_log(sim.api, pod, "default", {}).decode()
    assert "INFO gateway: POST /predict goes to http://model (timeout 2 s, bearer token set)" in log
    assert "Uvicorn running on http://0.0.0.0:8080" in log
    assert "model v1 ready" not in log and "s3cret" not in log
    model_pod = sim.deployment_pods("model")[0]["name"]
    log = pod_log(sim.api, model_pod, "default", {}).decode()
    assert "INFO MODEL_TOKEN is set: POST /predict needs 'Authorization: Bearer <token>'" in log
    assert "s3cret" not in log


def test_a_gateway_pointed_at_itself_times_out_instead_of_looping(sim):
    deploy(sim, url="http://gateway")
    results = load(sim)
    assert set(results["status"]) == {504}
    with pytest.raises(ServiceUnavailable, match="did not answer within 2 s"):
        sim.service("gateway").predict([[0.0] * 64])


def test_a_path_in_model_url_asks_the_model_for_a_route_it_lacks(sim):
    # The gateway calls MODEL_URL + "/predict": http://model/predict -> /predict/predict, 404.
    deploy(sim, url="http://model/predict")
    with pytest.raises(ServiceUnavailable) as err:
        sim.service("gateway").predict([[0.0] * 64])
    assert err.value.what == "service/gateway answered 502: model answered 404"
    sim.apply(_config("http://model/"))
    sim.rollout_restart("gateway")  # env from a ConfigMap is read at start
    sim.wait_rollout("gateway")
    sim.sleep(10)  # past the old pods' preStop sleep and kube-proxy's delay
    assert load(sim)["ok"].all()
