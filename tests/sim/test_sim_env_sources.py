"""Containers read ConfigMaps and Secrets into their environment, when they start.

kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/: a reference to a
missing ConfigMap (or key) that is not optional keeps the container from starting
(CreateContainerConfigError) until it exists; the values are read at start, so a running
container keeps the old ones until it restarts (kubectl rollout restart).
"""

from __future__ import annotations

import pytest

import helpers.lab
from helpers.core import manifests
from helpers.errors import ManifestError
from helpers.sim import SimCluster
from tests.sim.httpapi_kit import MANIFESTS


def model(env=None, env_from=None, name="model") -> dict:
    doc = manifests.load(MANIFESTS / "model-deployment.yaml")[0]
    container = doc["spec"]["template"]["spec"]["containers"][0]
    if env is not None:
        container["env"] = env
    if env_from is not None:
        container["envFrom"] = env_from
    return doc


def configmap(**data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "model-config"},
            "data": data}  # fmt: skip


@pytest.fixture
def sim():
    cluster = SimCluster(seed=0)
    yield cluster
    cluster.close()


def statuses(cluster) -> set[str]:
    return set(cluster.pods("app=model")["status"])


def test_a_missing_configmap_holds_the_container_until_it_exists(sim):
    ref = {
        "name": "CRASH",
        "valueFrom": {"configMapKeyRef": {"name": "model-config", "key": "crash"}},
    }
    sim.apply(model(env=[ref]))
    sim.sleep(15)
    assert statuses(sim) == {"CreateContainerConfigError"}
    failed = sim.events().query("reason == 'Failed'")["message"]
    assert (failed == 'Error: configmap "model-config" not found').any()
    sim.apply(configmap(other="x"))  # the ConfigMap, but without the key
    sim.sleep(15)
    assert statuses(sim) == {"CreateContainerConfigError"}
    failed = sim.events().query("reason == 'Failed'")["message"]
    assert failed.str.contains("couldn't find key crash in ConfigMap default/model-config").any()
    sim.apply(configmap(crash="0"))
    sim.sleep(15)  # the kubelet's next sync of the pods starts them
    sim.wait_rollout("model", timeout=60)
    assert statuses(sim) == {"Running"}


def test_optional_references_may_be_missing(sim):
    sim.apply(model(
        env=[{"name": "X", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}}}],
        env_from=[{"configMapRef": {"name": "absent", "optional": True}}],
    ))  # fmt: skip
    sim.wait_rollout("model", timeout=60)
    assert statuses(sim) == {"Running"}


def test_values_reach_the_server_at_start_and_only_at_start(sim):
    """A fault switched on through envFrom crashes the server; editing the ConfigMap does
    nothing to running pods until they restart."""
    sim.apply(configmap(MODEL_FAULT_CRASH_AT_START="0"))
    sim.apply(model(env_from=[{"configMapRef": {"name": "model-config"}}]))
    sim.wait_rollout("model", timeout=60)
    sim.apply(configmap(MODEL_FAULT_CRASH_AT_START="1"))
    sim.sleep(60)
    assert statuses(sim) == {"Running"}  # read at start: the running servers keep "0"
    restart = {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:05:00Z"
    }  # kubectl rollout restart
    sim.patch("Deployment", "model", {"spec": {"template": {"metadata": {"annotations": restart}}}})
    sim.sleep(60)
    assert "CrashLoopBackOff" in statuses(sim) or "Error" in statuses(sim)


def test_secret_values_are_decoded_and_env_wins_over_env_from(sim):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
              "stringData": {"MODEL_FAULT_CRASH_AT_START": "1"}}  # fmt: skip
    sim.apply(secret)
    sim.apply(model(
        env_from=[{"secretRef": {"name": "creds"}}],
        env=[{"name": "MODEL_FAULT_CRASH_AT_START", "value": "0"}],  # env wins over envFrom
    ))  # fmt: skip
    sim.wait_rollout("model", timeout=60)
    assert statuses(sim) == {"Running"}


def test_env_from_needs_exactly_one_source(sim):
    with pytest.raises(ManifestError, match="must specify one of: `configMapRef` or `secretRef`"):
        sim.apply(model(env_from=[{"prefix": "X_"}]))


def test_the_check_names_create_container_config_error_as_broken(sim):
    ref = {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "model-config", "key": "a"}}}
    sim.apply(model(env=[ref]))
    result = helpers.checks.replicas(sim, "model", 3)
    assert not result and "CreateContainerConfigError" in result.hint
