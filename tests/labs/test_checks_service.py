"""helpers.checks on serving: selectors, endpoints, traffic, canaries, the local server.

Kubernetes behaviour relied on: label selectors
(https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/) and Services that
list only Ready pods as endpoints (https://kubernetes.io/docs/concepts/services-networking/service/).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest

import helpers.lab
from helpers import checks
from helpers.errors import LabError
from tests.labs.conftest import MANIFESTS


def test_selector_exact_too_broad_and_too_narrow(deployed):
    assert checks.selector(deployed, "app=model")
    empty = checks.selector(deployed, "")
    assert not empty and "empty selector" in empty.hint
    narrow = checks.selector(deployed, "app=model,track=canary")
    assert not narrow and "misses pods" in narrow.hint
    garbled = checks.selector(deployed, "app in (model")
    assert not garbled and "does not parse" in garbled.seen


def test_selector_that_also_picks_other_pods(deployed):
    deployed.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "other", "labels": {"tier": "web"}},
            "spec": {"containers": [{"name": "m", "image": "orchestra/model:v1"}]},
        }
    )
    result = checks.selector(deployed, "tier in (web), !version")
    assert not result  # picks the stray pod only
    broad = checks.selector(deployed, "!version")
    assert not broad and "also picks other pods" in broad.hint


def test_endpoints_follow_ready_pods(deployed):
    assert checks.endpoints(deployed, "model", 3)
    deployed.scale("model", 4)
    assert checks.endpoints(deployed, "model", 4)  # waits for the new pod's readiness
    wrong = checks.endpoints(deployed, "model", 6)
    assert not wrong and "only Ready pods" in wrong.hint


def test_endpoints_without_a_service_or_matching_pods(sim):
    assert "model-service.yaml" in checks.endpoints(sim, "model", 3).hint
    sim.apply(MANIFESTS / "model-service.yaml")
    none = checks.endpoints(sim, "model", 3)
    assert not none and "selects no pod" in none.hint


def test_no_failed_requests_on_results():
    ok = pd.DataFrame({"t": [0.0, 0.1], "latency_ms": [2, 2], "ok": [True, True],
                       "status": [200, 200], "version": ["v1", "v1"], "pod": ["a", "b"]})  # fmt: skip
    assert checks.no_failed_requests(ok)
    bad = ok.assign(ok=[True, False], status=[200, 503])
    result = checks.no_failed_requests(bad)
    assert not result and "{503: 1}" in result.hint
    assert not checks.no_failed_requests(ok.iloc[:0])
    with pytest.raises(LabError):
        checks.no_failed_requests(object())


def test_no_failed_requests_on_a_rollout_under_traffic(deployed):
    with deployed.traffic("model", rps=20) as run:
        deployed.set_image("model", "orchestra/model:v2")
        deployed.wait_rollout("model")
    assert checks.no_failed_requests(run)


def test_canary_share_by_replicas(deployed):
    canary = helpers.lab.read_manifest("model-deployment.yaml")
    canary["metadata"]["name"] = "model-canary"
    canary["spec"]["replicas"] = 1
    for labels in (
        canary["spec"]["selector"]["matchLabels"],
        canary["spec"]["template"]["metadata"]["labels"],
    ):
        labels["track"] = "canary"
    none = checks.canary(deployed, "model", "model-canary", 0.25)
    assert not none and "same app label" in none.hint
    deployed.apply(canary)
    assert checks.canary(deployed, "model", "model-canary", 0.25)
    half = checks.canary(deployed, "model", "model-canary", 0.5)
    assert not half and "canary/(canary+stable) = 0.5" in half.hint


class _Version(BaseHTTPRequestHandler):
    def do_GET(self):  # http.server calls this name
        body = json.dumps({"version": self.server.version}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # keep test output clean


@pytest.fixture
def version_server():
    server = HTTPServer(("127.0.0.1", 0), _Version)
    server.version = "v2"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_served_version_over_real_http(version_server):
    url = f"http://127.0.0.1:{version_server.server_address[1]}"
    assert checks.served_version(url, "v2")
    wrong = checks.served_version(url, "v1")
    assert not wrong and 'local_server("v1")' in wrong.hint
    version_server.shutdown()
    down = checks.served_version(url, "v2")
    assert not down and "Start it first" in down.hint
