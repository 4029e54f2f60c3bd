"""Real kubectl reads a simulated cluster through its API server: every `get` form."""

from __future__ import annotations

import json
import socket
import ssl
import stat
import urllib.error
import urllib.request

import pytest
import yaml

from helpers.sim import SimCluster
from tests.sim.httpapi_kit import MANIFESTS, Kubectl, kubectl_binary, needs_kubectl  # noqa: F401

pytestmark = needs_kubectl


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS)
    cluster.wait_rollout("model")
    handle = cluster.serve_api(kubeconfig=tmp / "kubeconfig")
    yield cluster, handle, Kubectl(tmp / "kubeconfig", tmp / "cache")
    handle.close()
    cluster.close()


@pytest.fixture
def kubectl(served):
    return served[2]


def header(out: str) -> list[str]:
    return out.splitlines()[0].split()


def test_version_names_the_simulated_server(kubectl):
    r = kubectl("version")
    assert r.returncode == 0, r.stderr
    assert "Server Version: v1.36.1-sim" in r.stdout


def test_get_pods_prints_the_real_columns(kubectl):
    r = kubectl("get", "pods")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [line.split() for line in r.stdout.splitlines()[1:]]
    assert len(rows) == 3 and all(row[1:4] == ["1/1", "Running", "0"] for row in rows)


def test_get_pods_wide_adds_ip_and_node(kubectl):
    r = kubectl("get", "pods", "-o", "wide")
    assert "IP NODE NOMINATED NODE READINESS GATES" in " ".join(header(r.stdout))
    assert "orchestra-worker" in r.stdout and "10.244." in r.stdout


@pytest.mark.parametrize(
    "kind, columns",
    [
        ("deployments", "NAME READY UP-TO-DATE AVAILABLE AGE"),
        ("replicasets", "NAME DESIRED CURRENT READY AGE"),
        ("services", "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE"),
        ("nodes", "NAME STATUS ROLES AGE VERSION"),
        ("events", "LAST SEEN TYPE REASON OBJECT MESSAGE"),
        ("endpoints", "NAME ENDPOINTS AGE"),
        ("hpa", "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE"),
        ("pdb", "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE"),
    ],
)
def test_get_each_kind_prints_its_columns(kubectl, kind, columns):
    r = kubectl("get", kind)
    assert r.returncode == 0, r.stderr
    assert " ".join(header(r.stdout)) == columns


def test_get_json_and_yaml_return_the_objects(kubectl):
    items = json.loads(kubectl("get", "pods", "-o", "json").stdout)["items"]
    assert len(items) == 3 and items[0]["status"]["phase"] == "Running"
    doc = yaml.safe_load(kubectl("get", "deployment", "model", "-o", "yaml").stdout)
    assert doc["kind"] == "Deployment" and doc["status"]["readyReplicas"] == 3


def test_get_name_jsonpath_and_custom_columns(kubectl):
    names = kubectl("get", "pods", "-o", "name").stdout.split()
    assert len(names) == 3 and all(n.startswith("pod/model-") for n in names)
    r = kubectl(
        "get", "deploy", "model", "-o", "jsonpath={.spec.template.spec.containers[0].image}"
    )
    assert r.stdout == "orchestra/model:v1"
    r = kubectl(
        "get", "svc", "-o", "custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].nodePort"
    )
    assert r.stdout.split() == ["NAME", "PORT", "model", "30080"]


def test_get_all_namespaces_and_label_selectors(kubectl):
    r = kubectl("get", "pods", "-A")
    assert header(r.stdout)[0] == "NAMESPACE" and r.stdout.count("default ") == 3
    assert len(kubectl("get", "pods", "-l", "app=model", "-o", "name").stdout.split()) == 3
    r = kubectl("get", "pods", "-l", "app=nope")
    assert r.returncode == 0 and "No resources found in default namespace." in r.stderr


def test_get_by_name_and_not_found_as_kubectl_prints_it(kubectl):
    r = kubectl("get", "deployment", "model")
    assert r.returncode == 0 and r.stdout.splitlines()[1].split()[:2] == ["model", "3/3"]
    r = kubectl("get", "deployments", "nope")
    assert r.returncode == 1
    assert r.stderr.strip() == 'Error from server (NotFound): deployments.apps "nope" not found'


def test_requests_without_the_token_get_401_status(served, tmp_path):
    _, handle, kubectl = served
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{handle.url}/api/v1/pods", context=ctx, timeout=10)
    assert err.value.code == 401
    body = json.loads(err.value.read())
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized"
    config = yaml.safe_load(kubectl.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "wrong"
    bad = tmp_path / "bad-kubeconfig"
    bad.write_text(yaml.safe_dump(config))
    r = Kubectl(bad, tmp_path / "cache")("get", "pods")
    assert r.returncode == 1 and "error: You must be logged in to the server" in r.stderr


def test_listens_on_loopback_only_and_keeps_the_token_private(served):
    _, handle, kubectl = served
    assert handle.url.startswith("https://127.0.0.1:")
    assert handle._server.socket.getsockname()[0] == "127.0.0.1"
    mode = stat.S_IMODE(kubectl.kubeconfig.stat().st_mode)
    assert mode == 0o600
    token = yaml.safe_load(kubectl.kubeconfig.read_text())["users"][0]["user"]["token"]
    assert token not in repr(handle)
    r = kubectl("get", "pods", "-v=9")  # kubectl itself masks it; the server logs nothing
    assert token not in r.stdout + r.stderr
    outside = _non_loopback_address()
    if outside:
        with pytest.raises(OSError):
            socket.create_connection((outside, handle.port), timeout=2).close()


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr
