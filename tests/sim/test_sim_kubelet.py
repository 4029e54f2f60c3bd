"""The simulated kubelet: pulls, starts, probes, restarts, OOM kills and termination.

https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
https://kubernetes.io/docs/concepts/containers/images/
"""

import itertools
import re

import pytest

from helpers.errors import ManifestError
from helpers.sim import SimCluster
from tests.manifests import MANIFESTS, deployment
from tests.sim.simkit import pods_of


def one_pod(sim):
    (pod,) = pods_of(sim)
    return pod


def events_of(sim, pod, reason=None):
    return [
        e for e in sim.event_rows() if e["object"] == f"pod/{pod}" and reason in (None, e["reason"])
    ]


def test_pod_start_events_and_running_status(sim):
    sim.apply(deployment(replicas=1))
    sim.sleep(5)
    pod = one_pod(sim)
    reasons = [e["reason"] for e in events_of(sim, pod["name"])]
    assert reasons == ["Scheduled", "Pulled", "Created", "Started"]
    msgs = [e["message"] for e in events_of(sim, pod["name"])]
    assert msgs[1] == 'Container image "orchestra/model:v1" already present on machine'
    assert msgs[2] == "Created container: model" and msgs[3] == "Started container model"
    assert pod["status"] == "Running" and pod["ready"]


def test_unknown_image_backs_off_doubling_up_to_300s(sim):
    """ErrImagePull, then ImagePullBackOff; retries after 10, 20, 40 ... s (capped at 300 s)."""
    sim.apply(deployment(replicas=1, image="orchestra/model:v9"))
    sim.sleep(1.6)
    assert one_pod(sim)["status"] == "ErrImagePull"
    sim.sleep(1.0)
    assert one_pod(sim)["status"] == "ImagePullBackOff"
    sim.sleep(1200)
    name = one_pod(sim)["name"]
    pulls = [e["time"] for e in events_of(sim, name, "Pulling")]
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(pulls)]
    # each gap: the back-off plus the 1 s failed pull attempt
    assert gaps[:6] == [11.0, 21.0, 41.0, 81.0, 161.0, 301.0]
    assert set(gaps[6:]) == {301.0}
    failed = [e["message"] for e in events_of(sim, name, "Failed")]
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert any(m.startswith('Failed to pull image "orchestra/model:v9"') for m in failed)


def test_crash_at_start_enters_crashloopbackoff_with_doubling_delays(sim):
    env = [{"name": "MODEL_FAULT_CRASH_AT_START", "value": "1"}]
    sim.apply(deployment(replicas=1, container={"env": env}))
    sim.sleep(1.7)
    assert one_pod(sim)["status"] == "Error"
    sim.sleep(900)
    pod = one_pod(sim)
    starts = [e["time"] for e in events_of(sim, pod["name"], "Started")]
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(starts)]
    # 1 s to crash; the first restart is immediate (next sync, 1 s), then 10, 20, 40 ... 300 s
    assert gaps[:7] == [2.0, 11.0, 21.0, 41.0, 81.0, 161.0, 301.0]
    assert pod["restarts"] == len(starts) - 1
    backoff = events_of(sim, pod["name"], "BackOff")[0]["message"]
    assert backoff.startswith(
        f"Back-off restarting failed container model in pod {pod['name']}_default("
    )
    sim.sleep(50)
    assert one_pod(sim)["status"] in ("CrashLoopBackOff", "Error", "Running")
    states = sim.get("pod", pod["name"])["status"]["containerStatuses"][0]
    assert states["lastState"]["terminated"]["exitCode"] == 1


def test_crashloopbackoff_message_prints_the_delay_as_a_go_duration(sim):
    """The waiting message carries backOff.Get(key) formatted with %s: "1m20s", "5m0s".

    pkg/kubelet/kuberuntime/kuberuntime_manager.go (doBackOff):
    "back-off %s restarting failed container=%s pod=%s"
    """
    env = [{"name": "MODEL_FAULT_CRASH_AT_START", "value": "1"}]
    sim.apply(deployment(replicas=1, container={"env": env}))
    seen = set()
    for _ in range(1200):
        sim.sleep(1)
        name = one_pod(sim)["name"]
        state = sim.get("pod", name)["status"]["containerStatuses"][0]["state"]
        message = (state.get("waiting") or {}).get("message", "")
        if message.startswith("back-off "):
            seen.add(message.split()[1])
    assert {"10s", "20s", "40s", "1m20s", "2m40s", "5m0s"} <= seen
    assert not {"80s", "160s", "300s"} & seen


def test_memory_growth_past_the_limit_is_oomkilled_and_restarted(sim):
    """Baseline 100 MiB + 50 MiB/s against a 256Mi limit: OOMKilled (137) ~3 s after listening."""
    env = [{"name": "MODEL_FAULT_MEMORY_MB_PER_S", "value": "50"}]
    resources = {"limits": {"memory": "256Mi"}}
    sim.apply(deployment(replicas=1, container={"env": env, "resources": resources}))
    sim.wait(lambda c: [p["status"] for p in pods_of(c)] == ["OOMKilled"], 60, "an OOM kill")
    pod = sim.get("pod", one_pod(sim)["name"])
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 137 and term["reason"] == "OOMKilled"
    # start at 0.5 s, listening at 1.5 s, (256 - 100) / 50 = 3.12 s later
    assert sim.now() == pytest.approx(0.5 + 1.0 + 3.12, abs=0.01)
    sim.sleep(5)
    assert one_pod(sim)["restarts"] == 1


def test_failing_liveness_probe_restarts_the_container():
    sim = SimCluster(seed=0)
    probe = {"httpGet": {"path": "/missing", "port": 8080}, "periodSeconds": 5}
    sim.apply(deployment(replicas=1, container={"livenessProbe": probe}))
    sim.sleep(30)
    pod = one_pod(sim)
    unhealthy = events_of(sim, pod["name"], "Unhealthy")
    assert unhealthy[0]["message"].startswith("Liveness probe failed:")
    assert any(
        e["message"] == "Liveness probe failed: HTTP probe failed with statuscode: 404"
        for e in unhealthy
    )
    killing = events_of(sim, pod["name"], "Killing")[0]
    assert killing["message"] == "Container model failed liveness probe, will be restarted"
    # probes at 0.5, 5.5, 10.5: the third failure (failureThreshold 3) kills
    assert killing["time"] == pytest.approx(10.5)
    assert pod["restarts"] >= 1


def test_readiness_failure_keeps_the_pod_out_of_endpoints_without_restarts(sim):
    """v3 never gets Ready: not in the endpoints, never restarted (its liveness is fine)."""
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    assert len(sim.endpoints("model")) == 3
    dep = sim.get("deployment", "model")
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "orchestra/model:v3"
    sim.apply(dep)
    sim.sleep(300)
    v3 = [p for p in pods_of(sim, "model") if p["version"] == "v3"]
    assert len(v3) == 1 and not v3[0]["ready"] and v3[0]["restarts"] == 0
    assert v3[0]["name"] not in sim.endpoints("model")
    msgs = {e["message"] for e in events_of(sim, v3[0]["name"], "Unhealthy")}
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in msgs


def test_startup_probe_holds_readiness_until_it_succeeds(sim):
    """A slow start (MODEL_FAULT_SLOW_START_SECONDS) delays Ready; the startup probe passes first."""
    sim.apply(MANIFESTS / "model-deployment.yaml")
    dep = sim.get("deployment", "model")
    dep["spec"]["replicas"] = 1
    env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    env.append({"name": "MODEL_FAULT_SLOW_START_SECONDS", "value": "20"})
    sim.apply(dep)
    sim.wait_rollout("model")
    pods = [p for p in pods_of(sim, "model") if p["status"] == "Running"]
    newest = max(pods, key=lambda p: p["created"])
    ready_at = sim.now()
    # container start + 1 s process + 2 s load + 20 s slow start, on the 2 s readiness grid
    assert ready_at - newest["created"] >= 23
    assert newest["restarts"] == 0


def test_termination_runs_prestop_then_sigterm_within_the_grace_period(sim):
    """The 5 s preStop sleep, then SIGTERM: the server's 2 s lame duck, then it exits (7.1 s).

    https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#hook-handler-execution
    """
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.wait_rollout("model")
    victim = pods_of(sim, "model")[0]["name"]
    start = sim.now()
    sim.delete_pod(victim, namespace="default")
    assert sim.serving(victim).accepting  # preStop: still serving
    sim.sleep(4.9)
    assert sim.serving(victim).accepting
    sim.sleep(1.0)  # SIGTERM at 5 s: still answering /predict, no longer Ready
    assert sim.serving(victim).model_loaded
    sim.wait(lambda c: c.serving(victim) is None, 60, "the pod to go")
    assert sim.now() - start == pytest.approx(7.1, abs=0.01)
    killing = events_of(sim, victim, "Killing")[0]["message"]
    assert killing == "Stopping container model"


def test_grace_period_ends_with_sigkill():
    """preStop longer than terminationGracePeriodSeconds: killed at the grace period."""
    sim = SimCluster(seed=0)
    hook = {"preStop": {"sleep": {"seconds": 60}}}
    sim.apply(
        deployment(
            replicas=1, container={"lifecycle": hook}, pod={"terminationGracePeriodSeconds": 10}
        )
    )
    sim.wait_rollout("web")
    name = one_pod(sim)["name"]
    start = sim.now()
    sim.delete_pod(name)
    sim.wait(lambda c: c.serving(name) is None, 60, "the pod to go")
    assert sim.now() - start == pytest.approx(10.0)


def test_naive_pod_is_ready_before_its_model_loads(sim):
    """No readiness probe: Ready as soon as the container starts, while /predict still says 503."""
    sim.apply(MANIFESTS / "naive" / "model-naive.yaml")
    sim.sleep(1.0)
    pod = pods_of(sim, "model")[0]
    assert pod["ready"]
    serving = sim.serving(pod["name"])
    assert not serving.accepting and not serving.model_loaded
    sim.sleep(3.0)
    assert sim.serving(pod["name"]).model_loaded


def test_crash_backoff_resets_after_ten_minutes_of_running(sim):
    """A container that ran 10 min without trouble restarts at once, not after the back-off."""
    env = [{"name": "MODEL_FAULT_MEMORY_MB_PER_S", "value": "0.2"}]
    resources = {"limits": {"memory": "256Mi"}}
    sim.apply(deployment(replicas=1, container={"env": env, "resources": resources}))
    sim.sleep(2500)
    pod = one_pod(sim)
    starts = [e["time"] for e in events_of(sim, pod["name"], "Started")]
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(starts)]
    # each run: 1 s start + (256 - 100) / 0.2 = 780 s, then a 1 s sync: no 10 s / 20 s back-off
    assert gaps[:2] == [782.0, 782.0]
    assert not events_of(sim, pod["name"], "BackOff")


@pytest.mark.parametrize(
    ("probe", "ready"),
    [
        ({"tcpSocket": {"port": 8080}}, True),
        ({"tcpSocket": {"port": 9090}}, False),
        # the model image has /etc/hostname (the kubelet mounts it) but no /tmp/ready
        ({"exec": {"command": ["cat", "/etc/hostname"]}}, True),
        ({"exec": {"command": ["cat", "/tmp/ready"]}}, False),
        ({"exec": {"command": ["false"]}}, False),
    ],
)
def test_tcp_and_exec_readiness_probes(sim, probe, ready):
    sim.apply(deployment(replicas=1, container={"readinessProbe": {**probe, "periodSeconds": 2}}))
    sim.sleep(30)
    assert one_pod(sim)["ready"] is ready


def test_restarted_node_restarts_its_containers(sim):
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web")
    on_w1 = [p["name"] for p in pods_of(sim) if p["node"] == "orchestra-worker"]
    sim.stop_node("orchestra-worker")
    sim.sleep(20)  # back before the grace period: nothing was marked or evicted
    sim.start_node("orchestra-worker")
    sim.sleep(5)
    for pod in pods_of(sim):
        if pod["name"] in on_w1:
            assert pod["restarts"] == 1 and pod["status"] == "Running"


def test_startup_probe_that_never_passes_restarts_the_container(sim):
    """failureThreshold x periodSeconds without success: killed and restarted."""
    probe = {
        "httpGet": {"path": "/readyz", "port": 8080},
        "periodSeconds": 2,
        "failureThreshold": 5,
    }
    env = [{"name": "MODEL_FAULT_SLOW_START_SECONDS", "value": "100"}]
    sim.apply(deployment(replicas=1, container={"startupProbe": probe, "env": env}))
    sim.sleep(12)
    pod = one_pod(sim)
    killing = events_of(sim, pod["name"], "Killing")[0]
    assert killing["message"] == "Container model failed startup probe, will be restarted"
    assert killing["time"] == pytest.approx(0.5 + 4 * 2)  # the 5th probe: start + 8 s
    sim.sleep(5)
    assert one_pod(sim)["restarts"] == 1


def test_lame_duck_length_follows_shutdown_drain_seconds(sim):
    """SHUTDOWN_DRAIN_SECONDS=0: the listener closes right at SIGTERM (no preStop here)."""
    env = [{"name": "SHUTDOWN_DRAIN_SECONDS", "value": "0"}]
    sim.apply(deployment(replicas=1, container={"env": env}))
    sim.sleep(5)
    name = one_pod(sim)["name"]
    sim.delete_pod(name)
    # The kubelet sees the deletion through its watch, not inside the API call.
    sim.wait(lambda c: not c.serving(name).accepting, 0.01, "SIGTERM to close the listener")
    assert sim.now() == 5.0
    sim.sleep(0.2)
    assert sim.serving(name) is None


def test_pull_policy_always_fails_for_images_only_loaded_into_the_nodes(sim):
    """As on kind: the course images were loaded into the nodes, not pushed to a registry.

    https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
    """
    sim.apply(deployment(replicas=1, container={"imagePullPolicy": "Always"}))
    sim.sleep(1.6)
    assert one_pod(sim)["status"] == "ErrImagePull"


NAMED = {"name": "http", "containerPort": 8080}


def test_a_probe_on_a_named_container_port_resolves_it(sim):
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 2}
    sim.apply(deployment(replicas=1, container={"ports": [NAMED], "readinessProbe": probe}))
    sim.sleep(20)
    assert one_pod(sim)["ready"]


@pytest.mark.parametrize("handler", ["httpGet", "tcpSocket"])
def test_a_probe_naming_an_undeclared_port_is_accepted_and_errors_on_every_period(sim, handler):
    """The API server checks only the name's form (ValidatePortNumOrName); the kubelet finds
    no such containerPort, falls back to strconv.Atoi (pkg/probe/util.go
    ResolveContainerPort) and throws the errored result away (prober/worker.go doProbe):
    readiness keeps its initial Failure, so the pod never turns Ready and the rollout waits."""
    action = {"port": "htp", **({"path": "/healthz"} if handler == "httpGet" else {})}
    probe = {handler: action, "periodSeconds": 5}
    sim.apply(deployment(replicas=1, container={"ports": [NAMED], "readinessProbe": probe}))
    sim.sleep(60)
    pod = one_pod(sim)
    assert pod["status"] == "Running" and not pod["ready"] and pod["restarts"] == 0
    messages = {e["message"] for e in events_of(sim, pod["name"], "Unhealthy")}
    assert messages == {
        'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "htp": '
        "invalid syntax"
    }


def test_a_liveness_probe_naming_an_undeclared_port_never_restarts(sim):
    probe = {"httpGet": {"path": "/healthz", "port": "htp"}, "periodSeconds": 5}
    sim.apply(deployment(replicas=1, container={"livenessProbe": probe}))
    sim.sleep(120)
    pod = one_pod(sim)
    assert pod["ready"] and pod["restarts"] == 0 and not events_of(sim, pod["name"], "Killing")


@pytest.mark.parametrize(
    "port, message",
    [
        ("HTTP", 'port: Invalid value: "HTTP": must contain only alpha-numeric characters'),
        ("8080", 'port: Invalid value: "8080": must contain at least one letter (a-z)'),
        ("a-very-long-port-name", "must be no more than 15 characters"),
        (0, "port: Invalid value: 0: must be between 1 and 65535, inclusive"),
    ],
)
def test_a_probe_port_of_the_wrong_form_is_refused_as_the_api_server_does(sim, port, message):
    """ValidatePortNumOrName: a number 1-65535 or an IANA_SVC_NAME (a quoted "8080" is a
    name, and a name needs a letter). pkg/apis/core/validation/validation.go"""
    probe = {"tcpSocket": {"port": port}}
    with pytest.raises(ManifestError, match=re.escape(message)):
        sim.apply(deployment(replicas=1, container={"readinessProbe": probe}))
    assert not sim.list_objects("Deployment")
