"""Real kubectl changes a simulated cluster: apply, re-apply, rollout status, scale, delete."""

from __future__ import annotations

import threading
import time

import pytest

from helpers.sim import SimCluster
from tests.sim.httpapi_kit import MANIFESTS, Kubectl, kubectl_binary, needs_kubectl  # noqa: F401

ROOT = MANIFESTS.parents[1]

pytestmark = needs_kubectl


@pytest.fixture
def served(tmp_path):
    cluster = SimCluster(seed=0)
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    yield cluster, Kubectl(tmp_path / "kubeconfig", tmp_path / "cache")
    handle.close()
    cluster.close()


def moving_clock(cluster, step: float = 1.0):
    """Move the virtual clock in the background, as a notebook's cluster.sleep would."""
    stop = threading.Event()

    def run():
        while not stop.is_set():
            cluster.sleep(step)
            time.sleep(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return stop, thread


def test_apply_then_reapply_then_roll_out_a_new_image(served, tmp_path):
    cluster, kubectl = served
    r = kubectl("apply", "-f", str(MANIFESTS))
    assert r.returncode == 0, r.stderr
    assert "deployment.apps/model created" in r.stdout and "service/model created" in r.stdout
    cluster.wait_rollout("model")
    r = kubectl("apply", "-f", str(MANIFESTS))
    assert "deployment.apps/model unchanged" in r.stdout
    assert "service/model unchanged" in r.stdout
    generation = cluster.get("Deployment", "model")["metadata"]["generation"]
    manifest = (MANIFESTS / "model-deployment.yaml").read_text()
    changed = tmp_path / "model-v2.yaml"
    changed.write_text(manifest.replace("orchestra/model:v1", "orchestra/model:v2"))
    r = kubectl("apply", "-f", str(changed))
    assert r.stdout.strip() == "deployment.apps/model configured", r.stderr
    dep = cluster.get("Deployment", "model")
    assert dep["metadata"]["generation"] == generation + 1
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "orchestra/model:v2"
    assert "kubectl.kubernetes.io/last-applied-configuration" in dep["metadata"]["annotations"]
    stop, thread = moving_clock(cluster)
    try:
        r = kubectl("rollout", "status", "deployment/model", "--timeout=60s")
    finally:
        stop.set()
        thread.join()
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == 'deployment "model" successfully rolled out'


def test_scale_uses_the_scale_subresource(served):
    cluster, kubectl = served
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    r = kubectl("scale", "deployment", "model", "--replicas", "4")
    assert r.returncode == 0 and r.stdout.strip() == "deployment.apps/model scaled", r.stderr
    assert cluster.get("Deployment", "model")["spec"]["replicas"] == 4
    cluster.wait_rollout("model")
    assert kubectl("get", "deploy", "model").stdout.splitlines()[1].split()[1] == "4/4"


def test_delete_then_get_is_not_found(served):
    cluster, kubectl = served
    cluster.apply(MANIFESTS)
    r = kubectl("delete", "deployment", "model")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('deployment.apps "model" deleted')
    r = kubectl("get", "deployment", "model")
    assert r.returncode == 1
    assert r.stderr.strip() == 'Error from server (NotFound): deployments.apps "model" not found'
    r = kubectl("delete", "service", "nope")
    assert r.returncode == 1 and 'services "nope" not found' in r.stderr


def test_invalid_manifest_is_refused_with_a_status(served, tmp_path):
    _, kubectl = served
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\n"
        "spec: {replicas: -1, selector: {matchLabels: {app: bad}}, template: "
        "{metadata: {labels: {app: bad}}, spec: {containers: [{name: c, image: x}]}}}\n"
    )
    r = kubectl("apply", "-f", str(bad))
    assert r.returncode == 1
    assert 'Deployment.apps "bad" is invalid' in r.stderr or "is invalid" in r.stderr, r.stderr


def test_get_watch_streams_changes_as_the_clock_moves(served):
    cluster, kubectl = served
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    proc = kubectl.popen("get", "deployments", "--watch", "--request-timeout=20s")
    time.sleep(1.5)  # kubectl lists, prints, then opens its watch
    cluster.wait_rollout("model")
    time.sleep(1.0)
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert lines[1].split()[:2] == ["model", "0/3"]
    assert lines[-1].split()[:2] == ["model", "3/3"]


def test_protobuf_keeps_what_gos_json_would_keep():
    """A Deployment as kubectl create deployment --replicas=0 writes it: Go's JSON keeps a
    set pointer's zero (spec.replicas: 0), keeps a struct even when empty (resources: {}),
    and leaves out an omitempty scalar's zero (minReadySeconds: 0) and a zero Time
    (apps/v1 types.go tags; tools/gen_protobuf_schema.py)."""
    from helpers.sim.httpapi import protobuf

    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    def varint(number: int, value: int) -> bytes:
        return bytes([number << 3, value])

    container = field(1, b"model") + field(2, b"orchestra/model:v1") + field(8, b"")
    template = field(1, field(11, field(1, b"app") + field(2, b"web")) + field(8, b""))
    template += field(2, field(2, container))
    spec = varint(1, 0) + field(3, template) + varint(5, 0)
    deployment = field(1, field(1, b"web")) + field(2, spec)
    body = protobuf.MAGIC + field(1, field(1, b"apps/v1") + field(2, b"Deployment"))
    obj = protobuf.decode(body + field(2, deployment))
    assert obj["spec"] == {
        "replicas": 0,
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "model", "image": "orchestra/model:v1",
                                     "resources": {}}]},
        },
    }  # fmt: skip


def test_the_protobuf_table_is_generated_from_the_kits_kubernetes():
    """helpers/sim/httpapi/protobuf_schema.py is what the generator makes from the Go
    module cache (filled by make offline-tools); skipped where that cache is absent."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_protobuf_schema.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    mod = gen.default_mod()
    if mod is None or not (mod / "k8s.io" / f"api@{gen.API_VERSION}").is_dir():
        pytest.skip("no Go module cache with k8s.io/api: make offline-tools fills it")
    assert gen.generate(mod) == gen.OUT.read_text(), "run python tools/gen_protobuf_schema.py"


def test_protobuf_bodies_of_the_kinds_read_decode_to_their_json():
    """The wire form client-go writes: magic, then runtime.Unknown{typeMeta, raw}
    (kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding)."""
    from helpers.sim.httpapi import protobuf

    def field(number: int, payload: bytes) -> bytes:  # a length-delimited field
        return bytes([number << 3 | 2, len(payload)]) + payload

    def entry(key: bytes, value: bytes) -> bytes:
        return field(1, key) + field(2, value)

    meta = field(1, b"creds") + field(3, b"") + field(11, entry(b"app", b"model"))
    secret = field(1, meta) + field(2, entry(b"password", b"s3cret")) + field(3, b"Opaque")
    type_meta = field(1, b"v1") + field(2, b"Secret")
    body = protobuf.MAGIC + field(1, type_meta) + field(2, secret)
    assert protobuf.decode(body) == {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "creds", "labels": {"app": "model"}},  # the empty namespace left out
        "data": {"password": "czNjcmV0"},
    }  # fmt: skip
    other = protobuf.MAGIC + field(1, field(1, b"apps/v1") + field(2, b"StatefulSet"))
    with pytest.raises(protobuf.ProtobufError, match="not StatefulSet"):
        protobuf.decode(other)
    with pytest.raises(protobuf.ProtobufError, match="magic"):
        protobuf.decode(b"{}")
