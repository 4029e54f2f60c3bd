"""Exec probes and container commands, run against what the model image really holds.

Sources:
- the liveness-exec example (args touch/sleep/rm/sleep, probe cat /tmp/healthy):
  https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-a-liveness-command
- event texts "%s probe failed: %s" / "%s probe errored and resulted in %s state: %s"
  (pkg/kubelet/prober/prober.go, v1.36) and throwing away errored
  results: kubernetes/kubernetes pkg/kubelet/prober/prober.go and worker.go (doProbe)
- exit 0 passes, other exits fail, a timeout fails with 'command "..." timed out':
  pkg/probe/exec/exec.go; cri-client remote_runtime.go ExecSync
- a binary missing from the image never restarts the container:
  https://github.com/kubernetes/kubernetes/issues/106682
- command/args against an image without ENTRYPOINT:
  https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
- messages of Debian bookworm's coreutils and dash (the image is python:3.12-slim-bookworm)
"""

import pytest

from helpers.errors import ManifestError
from tests.manifests import deployment
from tests.sim.simkit import pods_of

HEALTHY = {
    "exec": {"command": ["cat", "/tmp/healthy"]},
    "initialDelaySeconds": 5,
    "periodSeconds": 5,
}
NO_FILE = "cat: /tmp/healthy: No such file or directory\n"


def liveness_exec_pod(**container) -> dict:
    """The documentation's liveness-exec Pod, on the course image instead of busybox."""
    c = {
        "name": "liveness",
        "image": "orchestra/model:v1",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
        "livenessProbe": HEALTHY,
        **container,
    }
    meta = {"name": "liveness-exec", "labels": {"test": "liveness"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [c]}}


def events(sim, pod, reason):
    return [e for e in sim.event_rows() if e["object"] == f"pod/{pod}" and e["reason"] == reason]


def container_status(sim, pod):
    return sim.get("pod", pod)["status"]["containerStatuses"][0]


def test_liveness_exec_example_fails_after_30s_and_restarts(sim):
    sim.apply(liveness_exec_pod())
    sim.sleep(30)
    assert not events(sim, "liveness-exec", "Unhealthy")  # /tmp/healthy exists for 30 s
    sim.sleep(15)
    unhealthy = events(sim, "liveness-exec", "Unhealthy")
    assert [e["message"] for e in unhealthy] == [f"Liveness probe failed: {NO_FILE}"] * 3
    assert [e["type"] for e in unhealthy] == ["Warning"] * 3
    killing = events(sim, "liveness-exec", "Killing")
    assert [e["message"] for e in killing] == [
        "Container liveness failed liveness probe, will be restarted"
    ]
    # started at 0.5 s; probes every 5 s from 5.5 s; rm at 30.5 s; third failure at 40.5 s
    assert killing[0]["time"] == pytest.approx(40.5)
    # sh is PID 1 and has no SIGTERM handler: SIGKILL when the 30 s grace period ends
    sim.sleep(40)
    status = container_status(sim, "liveness-exec")
    assert status["restartCount"] == 1
    last = status["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "Error")
    # the restarted container touched /tmp/healthy again: healthy for another 30 s
    assert len(events(sim, "liveness-exec", "Unhealthy")) == 3


def test_liveness_exec_example_pod_takes_the_whole_grace_period_to_delete(sim):
    sim.apply(liveness_exec_pod())
    sim.sleep(10)
    sim.delete("pod", "liveness-exec")
    sim.sleep(29)
    assert [p["name"] for p in sim.snapshot()["pods"]] == ["liveness-exec"]
    sim.sleep(2)
    assert sim.snapshot()["pods"] == []


def test_cat_probe_on_the_plain_model_image_crashloops(sim):
    """No command writes /tmp/healthy: the probe fails every time, restarts back off."""
    probe = {"exec": {"command": ["cat", "/tmp/healthy"]}}
    sim.apply(deployment(replicas=1, container={"livenessProbe": probe}))
    sim.sleep(400)
    (pod,) = pods_of(sim)
    assert pod["restarts"] >= 4
    messages = {e["message"] for e in events(sim, pod["name"], "Unhealthy")}
    assert messages == {f"Liveness probe failed: {NO_FILE}"}
    waits = {e["message"].split(" ")[0] for e in events(sim, pod["name"], "BackOff")}
    assert waits == {"Back-off"}
    statuses = set()
    for _ in range(200):
        sim.sleep(1)
        statuses.add(pods_of(sim)[0]["status"])
    assert "CrashLoopBackOff" in statuses


def test_a_binary_missing_from_the_image_errors_and_never_restarts(sim):
    """runc cannot start curl; the kubelet reports "errored" and ignores the result."""
    probe = {"exec": {"command": ["curl", "-f", "http://localhost:8080/healthz"]}}
    sim.apply(deployment(replicas=1, container={"livenessProbe": probe}))
    sim.sleep(120)
    (pod,) = pods_of(sim)
    assert pod["restarts"] == 0 and pod["ready"]
    message = events(sim, pod["name"], "Unhealthy")[0]["message"]
    assert message.startswith(
        "Liveness probe errored and resulted in unknown state: rpc error: code = Unknown desc = "
        "failed to exec in container: "
        'failed to start exec "'
    )
    assert message.endswith(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": '
        "executable file not found in $PATH: unknown"
    )
    assert not events(sim, pod["name"], "Killing")


def test_the_same_binary_behind_a_shell_fails_with_127_and_restarts(sim):
    probe = {"exec": {"command": ["sh", "-c", "curl -f http://localhost:8080/healthz"]}}
    sim.apply(deployment(replicas=1, container={"livenessProbe": probe}))
    sim.sleep(40)
    (pod,) = pods_of(sim)
    messages = {e["message"] for e in events(sim, pod["name"], "Unhealthy")}
    assert messages == {"Liveness probe failed: sh: 1: curl: not found\n"}
    assert events(sim, pod["name"], "Killing")


def test_an_exec_probe_past_its_timeout_fails(sim):
    probe = {"exec": {"command": ["sleep", "5"]}, "timeoutSeconds": 2, "periodSeconds": 5}
    sim.apply(deployment(replicas=1, container={"readinessProbe": probe}))
    sim.sleep(30)
    (pod,) = pods_of(sim)
    assert not pod["ready"]
    messages = {e["message"] for e in events(sim, pod["name"], "Unhealthy")}
    assert messages == {'Readiness probe failed: command "sleep 5" timed out'}


@pytest.mark.parametrize(
    ("command", "ok"),
    [
        (["test", "-f", "/tmp/healthy"], True),
        (["sh", "-c", "[ -f /tmp/healthy ] && ls /tmp/healthy"], True),
        (["ls", "/tmp/missing"], False),
        (["sh", "-c", "test -e /tmp/missing || exit 3"], False),
        (["python", "-c", "import time; time.sleep(0.5)"], True),
    ],
)
def test_exit_codes_decide_exec_probes(sim, command, ok):
    start = ["sh", "-c", "touch /tmp/healthy; exec python -m orchestra_model.server"]
    probe = {"exec": {"command": command}, "periodSeconds": 2}
    sim.apply(deployment(replicas=1, container={"command": start, "readinessProbe": probe}))
    sim.sleep(20)
    assert pods_of(sim)[0]["ready"] is ok


def test_ls_of_a_missing_file_prints_coreutils_message(sim):
    probe = {"exec": {"command": ["ls", "/tmp/missing"]}, "periodSeconds": 2}
    sim.apply(deployment(replicas=1, container={"readinessProbe": probe}))
    sim.sleep(5)
    (pod,) = pods_of(sim)
    message = events(sim, pod["name"], "Unhealthy")[0]["message"]
    assert message == (
        "Readiness probe failed: ls: cannot access '/tmp/missing': No such file or directory\n"
    )


def test_server_started_by_a_shell_serves_and_stops_on_sigterm(sim):
    """touch, then exec the server: Ready, healthy, and it drains on SIGTERM (not 30 s)."""
    start = ["sh", "-c", "touch /tmp/healthy; exec python -m orchestra_model.server"]
    ready = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 2}
    container = {"command": start, "livenessProbe": HEALTHY, "readinessProbe": ready}
    sim.apply(deployment(replicas=1, container=container))
    sim.sleep(60)
    (pod,) = pods_of(sim)
    assert pod["ready"] and pod["restarts"] == 0
    assert not events(sim, pod["name"], "Killing")
    sim.delete_pod(pod["name"])
    sim.sleep(5)
    assert pod["name"] not in [p["name"] for p in sim.snapshot()["pods"]]


def test_a_command_that_ends_completes_and_is_restarted(sim):
    sim.apply(deployment(replicas=1, container={"command": ["sleep", "5"]}))
    sim.sleep(7)
    (pod,) = pods_of(sim)
    last = container_status(sim, pod["name"])["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (0, "Completed")
    assert pod["restarts"] == 1


def test_args_alone_replace_the_image_cmd(sim):
    """The image has no ENTRYPOINT: args alone are the whole command line, so
    ``args: [sleep, infinity]`` runs no server and nothing answers on 8080."""
    ready = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 2}
    sim.apply(
        deployment(replicas=1, container={"args": ["sleep", "infinity"], "readinessProbe": ready})
    )
    sim.sleep(60)
    (pod,) = pods_of(sim)
    assert pod["status"] == "Running" and not pod["ready"] and pod["restarts"] == 0
    message = events(sim, pod["name"], "Unhealthy")[0]["message"]
    assert message.endswith(':8080/readyz": dial tcp ' + message.split("dial tcp ")[-1])
    assert message.endswith("connect: connection refused")


PROBE_FIELD = "spec.template.spec.containers[0].livenessProbe.exec.command"


@pytest.mark.parametrize(
    ("container", "field", "words"),
    [
        ({"livenessProbe": {"exec": {"command": ["grep", "ok", "/tmp/x"]}}}, PROBE_FIELD,
         "'grep' is not modelled"),
        ({"livenessProbe": {"exec": {"command": ["sh", "-c", "cat /tmp/x | grep ok"]}}},
         PROBE_FIELD, "pipes"),
        ({"livenessProbe": {"exec": {"command": ["sh", "-c", "test -f $F"]}}}, PROBE_FIELD,
         "variables"),
        ({"command": ["nginx"]}, "spec.template.spec.containers[0].command", "'nginx'"),
        ({"args": ["python", "-m", "orchestra_model.server", "--port", "9000"]},
         "spec.template.spec.containers[0].args", "reads no flags"),
        ({"command": ["sh", "-c", "touch /tmp/h; python -m orchestra_model.server"]},
         "spec.template.spec.containers[0].command", "exec python -m orchestra_model.server"),
        ({"command": ["curl", "localhost"]}, "spec.template.spec.containers[0].command",
         "'curl' is not modelled"),
    ],
)  # fmt: skip
def test_commands_the_simulator_cannot_run_are_refused_naming_the_field(
    sim, container, field, words
):
    with pytest.raises(ManifestError) as err:
        sim.apply(deployment(replicas=1, container=container))
    text = str(err.value)
    assert field in text and words in text
    assert "The simulator models" in text
