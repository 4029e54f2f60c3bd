"""Reaching the model Service, open-loop traffic over HTTP, and node power on kind only.

Open loop: request i leaves at start + i/rps whatever the latency of earlier ones.
NodePorts reach the host on kind only through extraPortMappings
(https://kind.sigs.k8s.io/docs/user/configuration/#extra-port-mappings).
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from helpers.core.traffic import STATUS_REFUSED
from helpers.errors import DockerUnavailable, LabError, UnsupportedOnBackend
from helpers.kube import KubeCluster
from tests import manifests
from tests.kube.modelstub import ModelStub


def until(predicate, timeout: float = 10.0) -> None:
    """Wait for a traffic run's results (not cluster state, so cluster.wait has no signal)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def kind_cluster(fake, tmp_path):
    c = KubeCluster("kind-orchestra", kubeconfig=fake.kubeconfig(tmp_path, "kind-orchestra"))
    yield c
    c.close()


@pytest.fixture
def stub():
    with ModelStub() as s:
        yield s


def test_kind_uses_the_mapped_node_port(kind_cluster, fake):
    fake.put(manifests.service("model", port=8080, node_port=30080, namespace="default"))
    assert kind_cluster.service("model").url == "http://127.0.0.1:30080"
    fake.put(manifests.service("model", port=8080, namespace="default", node_port=30081))
    with pytest.raises(LabError, match="not on NodePort 30080") as err:
        kind_cluster.service("model")
    assert "kubectl port-forward svc/model" in err.value.hint


def test_other_contexts_use_a_node_address_or_ask_for_port_forward(cluster, fake, stub):
    fake.put(
        manifests.service("model", port=8080, namespace="default", node_port=stub.port)
    )  # node InternalIP is 127.0.0.1
    svc = cluster.service("model")
    assert svc.url == stub.url
    answer = svc.predict([[0.0] * 64])
    assert answer["version"] == "v1" and answer["pod"] == "model-aaa-11111"
    clusterip = manifests.service("model", port=8080, node_port=30080, namespace="default")
    clusterip["spec"] = {"type": "ClusterIP", "selector": {"app": "model"}, "ports": [{"port": 80}]}
    fake.put(clusterip)
    with pytest.raises(LabError, match="no address reachable"):
        cluster.service("model")
    assert cluster.service("model", url=stub.url).predict([[1.0]])["predictions"] == [0]


def test_traffic_is_open_loop_and_records_headers(cluster, stub):
    stub.delay = 0.3  # each answer takes 300 ms; a closed loop would send ~4, not 20
    with cluster.traffic("model", rps=20, duration=1.0, url=stub.url, rows=[[0.5] * 64]) as run:
        until(lambda: len(run.results) == 20)
    df = run.results
    assert list(df.columns) == ["t", "latency_ms", "ok", "status", "version", "pod"]
    assert df["ok"].all() and set(df["status"]) == {200}
    assert set(df["version"]) == {"v1"} and set(df["pod"]) == {"model-aaa-11111"}
    gaps = df["t"].diff().dropna()
    assert gaps.round(6).eq(0.05).all()  # scheduled, evenly spaced: 1 / 20 rps
    assert df["latency_ms"].min() >= 290
    assert stub.bodies[0] == {"rows": [[0.5] * 64]}


def test_overload_beyond_the_in_flight_bound_is_recorded_as_failures(cluster, stub):
    stub.delay = 1.0  # longer than the whole schedule: no slot frees up during it
    run = cluster.traffic("model", rps=50, duration=0.4, url=stub.url, max_in_flight=3).start()
    until(lambda: len(run.results) == 20)
    run.stop()
    df = run.results
    assert (df["ok"]).sum() == 3
    assert (df.loc[~df["ok"], "status"] == 0).all()


def test_stop_ends_an_unbounded_run_promptly(cluster, stub):
    run = cluster.traffic("model", rps=100, url=stub.url).start()
    until(lambda: len(run.results) >= 10)
    started = time.monotonic()
    run.stop()
    assert time.monotonic() - started < run.timeout  # bounded by one request timeout
    assert not run.running and run.stopped_at is not None
    count = len(run.results)
    assert len(run.results) == count  # nothing arrives after stop()
    assert run.summary()["failed"] == 0


def test_traffic_to_nothing_fails_visibly(cluster):
    run = cluster.traffic("model", rps=20, duration=0.25, url="http://127.0.0.1:9").start()
    until(lambda: len(run.results) == 5)
    run.stop()
    # A refused connection is recorded as 502, as the simulator records it (helpers.core.traffic).
    assert not run.results["ok"].any() and set(run.results["status"]) == {STATUS_REFUSED}


def test_node_power_needs_kind_and_docker(cluster, kind_cluster, monkeypatch):
    with pytest.raises(UnsupportedOnBackend, match="needs a kind cluster"):
        cluster.stop_node("orchestra-worker")
    with pytest.raises(LabError, match="control plane"):
        kind_cluster.stop_node("orchestra-control-plane")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(DockerUnavailable, match="Docker daemon is not reachable"):
        kind_cluster.stop_node("orchestra-worker")
    with pytest.raises(DockerUnavailable):
        kind_cluster.start_node("orchestra-worker")


def test_traffic_waits_for_the_with_block(cluster, stub):
    run = cluster.traffic("model", rps=50, duration=0.2, url=stub.url)
    assert run.results.empty and stub.bodies == []  # as on the simulator: nothing sent yet
    with run:
        until(lambda: len(run.results) == 10)
    assert run.results["t"].min() >= run.schedule.start > 0


@pytest.mark.parametrize(("keep_alive", "most_connections"), [(False, 20), (True, 5)])
def test_each_user_opens_a_connection_unless_keep_alive(
    cluster, stub, keep_alive, most_connections
):
    # A Service balances connections, not requests (kube-proxy picks an endpoint per new
    # connection), so the default load models independent users (curl in a loop): one
    # connection per request. keep_alive=True is one client reusing a few connections.
    with cluster.traffic("model", rps=20, duration=1.0, url=stub.url, keep_alive=keep_alive) as run:
        until(lambda: len(run.results) == 20)
    assert run.results["ok"].all()
    connections = len(set(stub.peers))
    if keep_alive:
        assert connections <= most_connections
    else:
        assert connections == most_connections


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_predict_waits_out_kube_proxys_first_sync_of_a_new_service():
    """A Service applied a moment ago answers on its NodePort after kube-proxy's next sync
    (--iptables-min-sync-period, 1 s): a refused connection is tried again meanwhile.
    https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/"""
    import threading

    from helpers.kube.services import ServiceClient

    port, started = _free_port(), []

    def listen_later():
        time.sleep(0.5)  # the stand-in for kube-proxy's first sync
        started.append(ModelStub(port=port).__enter__())

    threading.Thread(target=listen_later, daemon=True).start()
    try:
        answer = ServiceClient(f"http://127.0.0.1:{port}").predict([[0.0] * 64])
        assert answer["pod"] == "model-aaa-11111"
    finally:
        for stub in started:
            stub.__exit__()


def test_predict_waits_out_a_port_publisher_that_closes_before_the_sync():
    """Through Docker's port publishing (docker-proxy) the host's connection is accepted and
    then closed while nothing listens behind it yet: no answer, not a refusal. Measured on
    kind: 127.0.0.1:30080 answered 1.6 s after the Service was created."""
    import threading

    from helpers.kube.services import ServiceClient

    front = socket.socket()
    front.bind(("127.0.0.1", 0))
    front.listen(16)
    ready_at = time.monotonic() + 0.6  # the stand-in for kube-proxy's first sync
    closed = []

    def pipe(a, b):
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    with ModelStub(port=_free_port()) as stub:

        def publish():
            while True:
                try:
                    conn, _ = front.accept()
                except OSError:
                    return
                if time.monotonic() < ready_at:
                    closed.append(1)
                    conn.close()  # accepted, then closed: what docker-proxy does meanwhile
                    continue
                back = socket.create_connection(("127.0.0.1", stub.port))
                threading.Thread(target=pipe, args=(conn, back), daemon=True).start()
                threading.Thread(target=pipe, args=(back, conn), daemon=True).start()

        threading.Thread(target=publish, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{front.getsockname()[1]}"
            assert ServiceClient(url).predict([[0.0] * 64])["pod"] == "model-aaa-11111"
        finally:
            front.close()
    assert closed  # it did meet the closing publisher first


def test_predict_still_reports_a_service_that_never_answers(monkeypatch):
    import helpers.kube.services as services
    from helpers.errors import ServiceUnavailable

    monkeypatch.setattr(services, "PROXY_SYNC_S", 0.3)
    with pytest.raises(ServiceUnavailable) as err:
        services.ServiceClient(f"http://127.0.0.1:{_free_port()}").predict([[0.0] * 64])
    assert err.value.status == STATUS_REFUSED


def test_predict_reports_a_services_own_error_in_its_words(monkeypatch):
    """A gateway (lab 08) answers 502 with {"detail": ...} saying why: the error carries
    those words and the status, as the simulator's client does (tests/sim/test_sim_gateway.py)."""
    import httpx

    import helpers.kube.services as services
    from helpers.errors import ServiceUnavailable

    detail = "cannot resolve 'model-svc' (MODEL_URL=http://model-svc): is there a Service?"
    monkeypatch.setattr(
        services.httpx, "post", lambda *a, **k: httpx.Response(502, json={"detail": detail})
    )
    with pytest.raises(ServiceUnavailable) as err:
        services.ServiceClient("http://127.0.0.1:30080", name="gateway").predict([[0.0] * 64])
    assert err.value.status == 502
    assert err.value.what == f"service/gateway answered 502: {detail}"
    assert "what went wrong behind the Service" in err.value.hint
    monkeypatch.setattr(services.httpx, "post", lambda *a, **k: httpx.Response(500, text="oops"))
    with pytest.raises(ServiceUnavailable) as err:
        services.ServiceClient("http://127.0.0.1:30080").predict([[0.0] * 64])
    assert err.value.what == "service/model answered 500: oops"
