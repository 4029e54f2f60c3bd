"""Lab 08: the gateway's checks catch each mistake the exercises target, with a hint that
names it; the right answers pass; sections start from their state; the starting files hold
no answer.

Kubernetes behaviour the checks rely on (each reproduced by the simulator, tests/sim/
test_sim_gateway.py, and met on kind by the notebook in make test-kind):
- a Service is reached by its DNS name on its ``port``
  (kubernetes.io/docs/concepts/services-networking/dns-pod-service/);
- environment variables from a ConfigMap are read at container start and not updated
  (kubernetes.io/docs/concepts/configuration/configmap/#configmaps-and-pods);
- ``envFrom`` makes one variable per key, named as the key; ``valueFrom.secretKeyRef`` one
  variable of any name (kubernetes.io/docs/tasks/inject-data-application/
  distribute-credentials-secure/).
"""

from __future__ import annotations

import pytest
import yaml

import helpers.checks
import helpers.lab
from helpers.errors import CheckFailed

LAB = "08_microservices"
REF = {"secretKeyRef": {"name": "model-token", "key": "token"}}


@pytest.fixture
def lab(monkeypatch, tmp_path):
    """Lab 08 on the simulator in virtual time, with a work folder of its own."""
    monkeypatch.delenv("LAB_STRICT_CHECKS", raising=False)
    cluster = helpers.lab.start(LAB, backend="sim", speed="virtual")
    cluster.work = helpers.lab.workdir(tmp_path / "work")
    yield cluster
    cluster.close()


def gateway_with(cluster, url: str, restart: bool = True) -> None:
    """The section-2 cells, then the student's MODEL_URL applied (and the gateway restarted)."""
    config = cluster.work / "gateway-config.yaml"
    cluster.apply(config)
    for name in ("gateway-deployment.yaml", "gateway-service.yaml"):
        cluster.apply(helpers.lab.read_manifest(f"microservices/{name}"))
    cluster.wait_rollout("gateway")
    doc = yaml.safe_load(config.read_text())
    doc["data"]["MODEL_URL"] = url
    config.write_text(yaml.safe_dump(doc))
    cluster.apply(config)
    if restart:
        cluster.rollout_restart("gateway")
        cluster.wait_rollout("gateway")


def test_the_starting_config_holds_a_placeholder_not_the_answer(tmp_path):
    work = helpers.lab.workdir(tmp_path / "work")
    text = (work / "gateway-config.yaml").read_text()
    assert text.startswith("# Exercise 08-ms-1")
    course = helpers.lab.read_manifest("microservices/gateway-config.yaml")
    mine = yaml.safe_load(text)
    assert mine["data"]["MODEL_URL"] == "http://CHANGE-ME" != course["data"]["MODEL_URL"]
    mine["data"]["MODEL_URL"] = course["data"]["MODEL_URL"]
    assert mine == course
    gateway = yaml.safe_load((work / "gateway.yaml").read_text())
    assert gateway == helpers.lab.read_manifest("microservices/gateway-deployment.yaml")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://CHANGE-ME", "still holds the starting file's placeholder"),
        ("http://gateway", "the gateway itself"),
        ("http://model/predict", "the gateway adds /predict"),
        ("https://model", "plain HTTP"),
        ("http://10.96.0.11", "not an IP address"),
        ("http://model.example.com", "no name cluster DNS knows"),
        ("http://model-service", "no service 'model-service'"),
        ("http://model:8080", "listens on port 80; 8080 is not one of its ports"),
        ("http://localhost:30080", "that pod itself"),
        ("model", "not a URL"),
    ],
)
def test_08_ms_1_a_wrong_address_is_caught_with_what_is_wrong(lab, url, words):
    gateway_with(lab, url)
    result = helpers.checks.gateway_reaches_model(lab)
    assert not result and words in result.hint, result
    assert "rollout restart" in result.hint


def test_08_ms_1_the_right_config_without_a_restart_is_caught(lab):
    gateway_with(lab, "http://model", restart=False)
    result = helpers.checks.gateway_reaches_model(lab)
    assert not result
    assert "cannot resolve 'change-me'" in result.hint  # the gateway's own words
    assert "read MODEL_URL when they started" in result.hint
    assert 'cluster.rollout_restart("gateway")' in result.hint


@pytest.mark.parametrize(
    "url", ["http://model", "http://model.default.svc.cluster.local", "http://model:80"]
)
def test_08_ms_1_the_right_answers_pass(lab, url):
    gateway_with(lab, url)
    result = helpers.checks.gateway_reaches_model(lab)
    assert result, result
    assert "8 of 8" in result.seen


def test_08_ms_1_fails_loudly_under_strict_checks(lab, monkeypatch):
    gateway_with(lab, "http://model:8080")
    monkeypatch.setenv("LAB_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        helpers.checks.gateway_reaches_model(lab)


@pytest.fixture
def token_lab(lab):
    """Section 3 after its cells: a token Secret and a model that asks for it."""
    helpers.lab.section(LAB, 3)
    helpers.lab.create_token(lab)
    lab.apply(helpers.lab.read_manifest("microservices/model-deployment.yaml"))
    lab.wait_rollout("model")
    helpers.lab.wait_pods(lab, "app=model", 3)
    return lab


def gateway_env(cluster, *entries, env_from=()) -> None:
    path = cluster.work / "gateway.yaml"
    doc = yaml.safe_load(path.read_text())
    container = doc["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [*container["env"], *entries]
    container["envFrom"] = [*container["envFrom"], *env_from]
    path.write_text(yaml.safe_dump(doc))
    cluster.apply(path)
    cluster.wait(lambda c: c.rollout_status("gateway").state != "progressing", 300, "rollout")


def test_08_ms_2_unanswered_says_what_to_add(token_lab, capsys):
    helpers.lab.ask(token_lab, "gateway")
    assert "refused the gateway's token (401)" in capsys.readouterr().out
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and "has no MODEL_TOKEN" in result.hint and "secretKeyRef" in result.hint


def test_08_ms_2_the_token_in_plain_text_is_caught_even_when_it_works(token_lab):
    secret = token_lab.get("Secret", "model-token")
    import base64

    value = base64.b64decode(secret["data"]["token"]).decode()
    gateway_env(token_lab, {"name": "MODEL_TOKEN", "value": value})
    assert token_lab.service("gateway").predict([[0.0] * 64])["version"] == "v1"  # it works
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and "plain text" in result.hint
    assert value not in repr(result)  # the check never shows the token


def test_08_ms_2_envfrom_of_the_secret_names_the_variable_token_and_is_caught(token_lab):
    gateway_env(token_lab, env_from=[{"secretRef": {"name": "model-token"}}])
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and "named as the key: token, not MODEL_TOKEN" in result.hint


def test_08_ms_2_a_wrong_key_is_caught(token_lab):
    ref = {"secretKeyRef": {"name": "model-token", "key": "MODEL_TOKEN"}}
    gateway_env(token_lab, {"name": "MODEL_TOKEN", "valueFrom": ref})
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and "CreateContainerConfigError" in result.hint
    waiting = {p["status"] for p in token_lab.pods("app=gateway").to_dict("records")}
    assert "CreateContainerConfigError" in waiting


def test_08_ms_2_the_right_answer_passes(token_lab):
    gateway_env(token_lab, {"name": "MODEL_TOKEN", "valueFrom": REF})
    result = helpers.checks.gateway_sends_token(token_lab)
    assert result, result


def test_section_3_and_4_start_from_a_serving_gateway_after_a_restart(monkeypatch):
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setenv("LAB_SPEED", "virtual")
    monkeypatch.setitem(helpers.lab.session._current, "cluster", None)
    cluster = helpers.lab.section(LAB, 3)
    assert helpers.checks.gateway_reaches_model(cluster)
    cluster = helpers.lab.section(LAB, 4)
    assert helpers.checks.gateway_sends_token(cluster)
    model = cluster.get("Deployment", "model")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "MODEL_TOKEN", "valueFrom": REF} in model["env"]
    # Run again from the top of section 4: the cluster is there, nothing changes.
    assert helpers.lab.sections.reconcile(cluster, helpers.lab.sections.steps_of(LAB, 4)) == []
    cluster.close()


def test_section_3_restarts_a_gateway_whose_pods_kept_an_old_config(lab, capsys):
    gateway_with(lab, "http://model", restart=False)
    helpers.lab.section(LAB, 3)
    assert "restarted them" in capsys.readouterr().out
    assert helpers.checks.gateway_reaches_model(lab)


def test_08_ms_1_a_file_not_applied_is_told_to_apply(lab):
    gateway_with(lab, "http://CHANGE-ME")
    result = helpers.checks.gateway_reaches_model(lab)
    assert not result and 'cluster.apply(work / "gateway-config.yaml")' in result.hint


def test_08_ms_2_a_model_that_no_longer_asks_for_the_token_is_caught(token_lab):
    gateway_env(token_lab, {"name": "MODEL_TOKEN", "valueFrom": REF})
    token_lab.apply(helpers.lab.read_manifest("model-deployment.yaml"))
    token_lab.wait_rollout("model")
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and "no longer asks for the token" in result.hint


def test_08_ms_2_a_secret_created_again_after_the_model_started_is_explained_and_repaired(
    token_lab, capsys
):
    token_lab.delete("Secret", "model-token")
    helpers.lab.create_token(token_lab)  # a new token; the model's pods still hold the old one
    gateway_env(token_lab, {"name": "MODEL_TOKEN", "valueFrom": REF})
    result = helpers.checks.gateway_sends_token(token_lab)
    assert not result and 'cluster.rollout_restart("model")' in result.hint
    capsys.readouterr()
    helpers.lab.section(LAB, 4)
    out = capsys.readouterr().out
    assert "deployment/model's pods reading secret/model-token anew: restarted them" in out
    assert helpers.checks.gateway_sends_token(token_lab)
