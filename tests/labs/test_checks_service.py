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
    assert not result and "1 failed with 503 (model loading" in result.hint
    assert "readinessProbe" in result.hint and "preStop" not in result.hint
    assert not checks.no_failed_requests(ok.iloc[:0])
    with pytest.raises(LabError):
        checks.no_failed_requests(object())


def test_failure_causes_name_the_practice_for_each_status():
    """503: not Ready yet (readiness probes); 502: stopped while still an endpoint (preStop,
    https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/)."""
    df = pd.DataFrame({"t": [0.0, 0.1, 0.2, 0.3], "latency_ms": [2] * 4,
                       "ok": [False, False, False, True], "status": [502, 503, 502, 200],
                       "version": ["v1"] * 4, "pod": ["a"] * 4})  # fmt: skip
    causes = helpers.lab.failure_causes(df)
    assert causes[["status", "failed"]].values.tolist() == [[502, 2], [503, 1]]
    assert causes["prevented_by"].tolist() == ["preStop sleep", "readinessProbe on /readyz"]
    hint = checks.no_failed_requests(df).hint
    assert hint.index("2 failed with 502 (refused") < hint.index("1 failed with 503")
    assert "removal from the endpoints" in hint
    assert helpers.lab.failure_causes(df.iloc[3:]).empty


def test_no_failed_requests_on_a_rollout_under_traffic(deployed):
    with deployed.traffic("model", rps=20) as run:
        deployed.set_image("model", "orchestra/model:v2")
        deployed.wait_rollout("model")
    assert checks.no_failed_requests(run)


def _canary(selector_track: bool = True, template_track: bool = True, name="model-canary"):
    canary = helpers.lab.read_manifest("model-deployment.yaml")
    canary["metadata"]["name"] = name
    canary["spec"]["replicas"] = 1
    canary["spec"]["template"]["spec"]["containers"][0]["image"] = "orchestra/model:v2"
    if selector_track:
        canary["spec"]["selector"]["matchLabels"]["track"] = "canary"
    if template_track:
        canary["spec"]["template"]["metadata"]["labels"]["track"] = "canary"
    return canary


def test_canary_share_by_replicas(deployed):
    none = checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    assert not none and "no deployment/model-canary" in none.seen
    deployed.apply(_canary())
    assert checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    half = checks.canary(deployed, "model", "model-canary", 0.5)
    assert not half and "canary/(canary+stable) = 0.5" in half.hint
    old = checks.canary(deployed, "model", "model-canary", 0.25, version="v3")
    assert not old and 'set_image("model-canary", "orchestra/model:v3")' in old.hint


@pytest.mark.parametrize(
    "template_track", [False, True], ids=["no-track", "track-only-in-template"]
)
def test_canary_whose_selector_overlaps_the_stable_pods_fails(deployed, template_track):
    """Deployments must not have overlapping selectors
    (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector): the
    canary without its own label in the selector claims the stable pods too."""
    deployed.apply(_canary(selector_track=False, template_track=template_track))
    result = checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    assert not result
    assert "also matches 3 pod(s) of deployment/model" in result.seen
    assert "spec.selector.matchLabels" in result.hint and "delete it first" in result.hint


def test_canary_deleted_and_applied_again_passes_while_the_old_pods_terminate(deployed):
    """The fix the overlap hint gives (delete, then apply), run again on a right canary: the
    deleted canary's pods are still Terminating (30 s grace period) and belong to no
    Deployment any more; they are not claimed twice, so the check passes (it said
    "also matches 1 pod(s) of deployment/None")."""
    deployed.apply(_canary())
    assert checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    deployed.delete("deployment", "model-canary")
    deployed.apply(_canary())
    terminating = [p for p in deployed.snapshot()["pods"] if p["status"] == "Terminating"]
    assert terminating  # the old canary pod, not gone yet
    result = checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    assert result, (result.seen, result.hint)


def test_canary_applied_over_the_stable_deployment_is_named(deployed):
    """Forgetting to rename: the apply replaces deployment/model's template (same name)."""
    deployed.apply(_canary(selector_track=False, template_track=False, name="model"))
    result = checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    assert not result
    assert "deployment/model changed" in result.seen
    assert "metadata.name still 'model'" in result.hint


def test_canary_the_service_does_not_select_fails(deployed):
    canary = _canary()
    for where in (
        canary["spec"]["selector"]["matchLabels"],
        canary["spec"]["template"]["metadata"]["labels"],
    ):
        where["app"] = "model-v2"
    deployed.apply(canary)
    result = checks.canary(deployed, "model", "model-canary", 0.25, version="v2")
    assert not result and "service/model selects app=model" in result.seen


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
    assert not down and "Start one" in down.hint
    assert not checks.served_version(None, "v2")


def test_served_version_fails_on_a_live_but_not_ready_server():
    """/healthz and /readyz answer different questions (lab 01): a server whose model is
    still loading (slow-start fault on) is alive, not Ready, and gets no Service traffic
    (https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/)."""
    slow = helpers.lab.local_server("v2", wait=False, MODEL_FAULT_SLOW_START_SECONDS="120")
    try:
        slow.wait_live()
        result = checks.served_version(slow, "v2")
        assert not result
        assert "MODEL_FAULT_SLOW_START_SECONDS=120" in result.hint
        assert "/readyz answers 503" in result.seen
        # Without the env (a URL only), the readiness itself is what fails.
        by_url = checks.served_version(slow.url, "v2")
        assert not by_url and "alive (/healthz) but not Ready" in by_url.hint
    finally:
        slow.stop()
