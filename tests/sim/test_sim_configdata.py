"""ConfigMaps and Secrets on the simulator: stored as the API server stores them.

kubernetes.io/docs/concepts/configuration/configmap/ and .../configuration/secret/: keys
are alphanumerics, '-', '_' and '.'; a Secret's stringData is written into data as base64;
its type defaults to Opaque and cannot change; immutable objects keep their data.
"""

from __future__ import annotations

import base64

import pytest

from helpers.errors import ManifestError
from helpers.sim import SimCluster


def configmap(name: str = "cfg", **fields) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **fields}


def secret(name: str = "creds", **fields) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, **fields}


@pytest.fixture
def sim():
    cluster = SimCluster(seed=0)
    yield cluster
    cluster.close()


def test_a_configmap_keeps_its_data_at_the_top_level_without_status(sim):
    sim.apply(configmap(data={"GREETING": "hello"}))
    got = sim.get("ConfigMap", "cfg")
    assert got["data"] == {"GREETING": "hello"}
    assert "spec" not in got and "status" not in got and "generation" not in got["metadata"]
    rv = got["metadata"]["resourceVersion"]
    sim.apply(configmap(data={"GREETING": "hello"}))
    assert sim.get("ConfigMap", "cfg")["metadata"]["resourceVersion"] == rv  # unchanged
    sim.apply(configmap(data={"GREETING": "hi"}))
    assert sim.get("ConfigMap", "cfg")["data"] == {"GREETING": "hi"}
    sim.patch("ConfigMap", "cfg", {"data": {"EXTRA": "1"}})
    assert sim.get("ConfigMap", "cfg")["data"] == {"GREETING": "hi", "EXTRA": "1"}


def test_string_data_is_written_into_data_as_base64(sim):
    sim.apply(secret(data={"user": base64.b64encode(b"admin").decode()},
                     stringData={"password": "s3cret"}))  # fmt: skip
    got = sim.get("Secret", "creds")
    assert got["type"] == "Opaque"
    assert "stringData" not in got
    assert base64.b64decode(got["data"]["password"]) == b"s3cret"
    assert base64.b64decode(got["data"]["user"]) == b"admin"


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (configmap(data={"bad key": "x"}), "a valid config key must consist of alphanumeric"),
        (configmap(data={"k": "x"}, binaryData={"k": "eA=="}), "duplicate of key present in data"),
        (secret(data={"k": "not base64!"}), "illegal base64 data"),
        (
            secret(type="kubernetes.io/tls", stringData={"tls.crt": "x"}),
            "data[tls.key]: Required value",
        ),
        (
            configmap(data={"big": "x" * (1024 * 1024 + 1)}),
            "Too long: must have at most 1048576 bytes",
        ),
    ],
)
def test_what_the_api_server_refuses(sim, doc, words):
    with pytest.raises(ManifestError) as err:
        sim.apply(doc)
    assert words in err.value.what
    assert err.value.hint  # and what to do next
    assert sim.list_objects(doc["kind"]) == []


def test_a_secret_keeps_its_type_and_an_immutable_object_its_data(sim):
    sim.apply(secret(stringData={"a": "1"}))
    with pytest.raises(
        ManifestError, match=r'type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    ):
        sim.apply(secret(type="kubernetes.io/basic-auth", stringData={"a": "1"}))
    sim.apply(configmap(data={"a": "1"}, immutable=True))
    with pytest.raises(ManifestError, match="field is immutable when `immutable` is set"):
        sim.apply(configmap(data={"a": "2"}, immutable=True))
    with pytest.raises(ManifestError, match="immutable: Forbidden"):
        sim.apply(configmap(data={"a": "1"}, immutable=False))
    assert sim.get("ConfigMap", "cfg")["data"] == {"a": "1"}
    sim.delete("ConfigMap", "cfg")  # the way to change it: delete and create again
    sim.apply(configmap(data={"a": "2"}))
    assert sim.get("ConfigMap", "cfg")["data"] == {"a": "2"}


def test_deleting_a_namespace_deletes_its_configmaps_and_secrets(sim):
    sim.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    sim.apply(configmap(), namespace="team")
    sim.apply(secret(stringData={"a": "1"}), namespace="team")
    sim.delete("Namespace", "team")
    assert sim.list_objects("ConfigMap", None) == [] and sim.list_objects("Secret", None) == []
