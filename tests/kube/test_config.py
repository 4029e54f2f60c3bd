"""probe() is fast and never raises; no token or certificate reaches a message or a repr."""

from __future__ import annotations

import socket
import time

import pytest
import yaml

from helpers.errors import ClusterUnavailable, LabTimeout
from helpers.kube import KubeCluster
from helpers.kube.config import probe
from tests.kube.fakeapi import TOKEN

CERT_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3SUJBZ0lJZmFrZQ=="


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: nothing listens there


def write_kubeconfig(path, server, context="kind-orchestra", user=None):
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user or {"token": TOKEN}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_probe_answers_for_a_live_server(fake, kubeconfig):
    ok, why = probe("fake", timeout=2.0, kubeconfig=kubeconfig)
    assert ok and "v1.34.0-fake" in why


def test_probe_dead_port_is_fast_and_says_refused(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{dead_port()}")
    started = time.monotonic()
    ok, why = probe("kind-orchestra", timeout=2.0, kubeconfig=path)
    assert not ok and "refused the connection" in why
    assert time.monotonic() - started < 2.5


def test_probe_absent_context_and_absent_file(tmp_path, monkeypatch):
    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", context="other")
    ok, why = probe("kind-orchestra", kubeconfig=path)
    assert not ok and why.startswith("the kubeconfig has no context 'kind-orchestra'")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    ok, why = probe("kind-orchestra")
    assert not ok and "no kubeconfig file" in why


def test_probe_never_raises_on_garbage(tmp_path):
    path = tmp_path / "kc"
    path.write_text("clusters: [unclosed\n")
    ok, why = probe("kind-orchestra", kubeconfig=path)
    assert not ok and why


def test_probe_tls_failure(fake, tmp_path):
    # The fake speaks plain HTTP, so a TLS client hello fails as against a wrong server.
    path = write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{fake.port}")
    ok, why = probe("kind-orchestra", timeout=2.0, kubeconfig=path)
    assert not ok and "TLS" in why


def test_wrong_token_is_401_without_the_token_anywhere(fake, tmp_path):
    wrong = "wrong-token-abcdef-secret"
    path = write_kubeconfig(tmp_path / "kc", fake.url, user={"token": wrong})
    ok, why = probe("kind-orchestra", kubeconfig=path)
    assert not ok and "401" in why and wrong not in why
    with pytest.raises(ClusterUnavailable) as err:
        KubeCluster("kind-orchestra", kubeconfig=path)
    assert "credentials" in str(err.value) and wrong not in str(err.value)
    assert wrong not in repr(err.value)


def test_no_secret_in_repr_or_errors(cluster, fake, tmp_path):
    texts = [repr(cluster), str(cluster.snapshot()), repr(cluster.api)]
    try:
        cluster.get("Deployment", "absent")
    except Exception as err:
        texts += [str(err), repr(err)]
    assert all(TOKEN not in t for t in texts)
    cert_user = {"client-certificate-data": CERT_DATA, "client-key-data": CERT_DATA}
    path = write_kubeconfig(tmp_path / "kc", fake.url, user=cert_user)
    with pytest.raises(ClusterUnavailable) as err:
        KubeCluster("kind-orchestra", kubeconfig=path)
    assert CERT_DATA not in str(err.value) and CERT_DATA[:20] not in repr(err.value)
    assert err.value.__cause__ is None  # the library exception is not chained


def test_connect_picks_the_kind_context_when_it_answers(fake, tmp_path, monkeypatch):
    import helpers

    monkeypatch.delenv("LAB_BACKEND", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path, context="kind-orchestra")))
    choice = helpers.choose()
    assert (choice.backend, choice.context) == ("kube", "kind-orchestra")
    with helpers.connect("kind") as cluster:
        assert cluster.backend == "kube" and not cluster.simulated
        assert cluster.name == "kind-orchestra"
        assert len(cluster.nodes()) == 3


def test_lab_context_picks_that_context_for_every_lab(fake, tmp_path, monkeypatch):
    """A class on a managed cluster sets LAB_CONTEXT once; helpers.lab.start (which calls
    connect without a context) then opens that context; a backend asked for still wins."""
    import helpers

    monkeypatch.delenv("LAB_BACKEND", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path, context="course-cloud")))
    monkeypatch.setenv("LAB_CONTEXT", "course-cloud")
    choice = helpers.choose()
    assert (choice.backend, choice.context) == ("kube", "course-cloud")
    assert "LAB_CONTEXT" in choice.reason
    with helpers.connect() as cluster:
        assert cluster.name == "course-cloud" and not cluster.simulated
    assert helpers.choose("sim").backend == "sim"
    monkeypatch.setenv("LAB_BACKEND", "sim")  # as make nbval sets it
    assert helpers.choose().backend == "sim"


def test_wait_timeout_names_a_failing_watch(cluster, fake):
    fake.__exit__()  # the API server goes away
    with pytest.raises(LabTimeout) as err:
        cluster.wait(lambda c: False, timeout=1.5, what="nothing")
    assert "refused the connection" in err.value.what
