"""Probes and lifecycle hooks: parsing with the documented defaults, and probing a server.

Defaults: initialDelaySeconds 0, periodSeconds 10, timeoutSeconds 1, successThreshold 1,
failureThreshold 3. Messages are the kubelet's, e.g. "HTTP probe failed with statuscode: 503".
(kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from helpers.errors import ManifestError
from helpers.sim import shell
from helpers.sim.serviceports import check_port_name, check_port_number

PROBE_KEYS = {
    "httpGet", "tcpSocket", "exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
    "successThreshold", "failureThreshold", "terminationGracePeriodSeconds",
}  # fmt: skip
# Paths the model server answers with 200 whenever it is up.
ALWAYS_OK_PATHS = ("/healthz", "/version", "/metrics")
# "sleep 5", "/bin/sleep 5", "sh -c 'sleep 5'", "python -c 'time.sleep(5)'"
_SLEEP = re.compile(r"sleep(?:\s+|\()(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Probe:
    """One parsed probe (``kind`` is "http", "tcp" or "exec")."""

    kind: str
    port: int | None
    path: str
    command: tuple
    initial: float
    period: float
    timeout: float
    success: int
    failure: int
    script: shell.Script | None = None  # an exec probe's checked command
    grace: float | None = None  # the probe's own terminationGracePeriodSeconds
    port_error: str = ""  # why the kubelet cannot resolve a named port (port is None)


@dataclass(frozen=True)
class Hook:
    """A preStop hook: how long it keeps the container from receiving SIGTERM."""

    kind: str  # "exec", "sleep" or "http"
    seconds: float


def _port(value, ports: dict, field: str) -> tuple[int | None, str]:
    """A probe's port as the API server validates it and the kubelet resolves it.

    Returns (port number, "") or, for a well-formed name no containerPort carries,
    (None, the kubelet's error): the API server accepts such a name (ValidatePortNumOrName
    checks only its form); at probe time pkg/probe/util.go ResolveContainerPort finds no
    such port, falls back to strconv.Atoi and the probe errors on every period.
    """
    if isinstance(value, str) and value:
        check_port_name(value, f"{field}.port")
        if value in ports:
            return ports[value], ""
        return None, f'strconv.Atoi: parsing "{value}": invalid syntax'
    if not isinstance(value, int) or isinstance(value, bool):
        raise ManifestError(f"{field}.port: Required value", "Give a containerPort number or name.")
    check_port_number(value, f"{field}.port")
    return value, ""


def _int(probe: dict, key: str, default: int, field: str, minimum: int) -> int:
    value = probe.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ManifestError(f"{field}.{key}: {value!r} must be a whole number >= {minimum}.")
    return value


def parse_probe(probe: dict | None, ports: dict, field: str) -> Probe | None:
    """Parse a probe; ManifestError naming the field for what the simulator cannot run."""
    if not probe:
        return None
    unknown = set(probe) - PROBE_KEYS
    if unknown:
        raise ManifestError(f"{field}.{sorted(unknown)[0]} is not supported by the simulator.")
    handlers = [k for k in ("httpGet", "tcpSocket", "exec") if k in probe]
    if len(handlers) != 1:
        raise ManifestError(f"{field}: give exactly one of httpGet, tcpSocket or exec.")
    port, port_error, path, command, script = None, "", "", (), None
    if "httpGet" in probe:
        port, port_error = _port(probe["httpGet"].get("port"), ports, f"{field}.httpGet")
        path = probe["httpGet"].get("path", "/")
    elif "tcpSocket" in probe:
        port, port_error = _port(probe["tcpSocket"].get("port"), ports, f"{field}.tcpSocket")
    else:
        command = probe["exec"].get("command") or ()
        if not command:
            raise ManifestError(f"{field}.exec.command is required.")
        script = shell.compile(command, f"{field}.exec.command")
        command = script.argv
    return Probe(
        kind={"httpGet": "http", "tcpSocket": "tcp", "exec": "exec"}[handlers[0]],
        port=port,
        path=path,
        command=command,
        initial=_int(probe, "initialDelaySeconds", 0, field, 0),
        period=_int(probe, "periodSeconds", 10, field, 1),
        timeout=_int(probe, "timeoutSeconds", 1, field, 1),
        success=_int(probe, "successThreshold", 1, field, 1),
        failure=_int(probe, "failureThreshold", 3, field, 1),
        script=script,
        port_error=port_error,
        grace=(
            _int(probe, "terminationGracePeriodSeconds", 0, field, 1)
            if "terminationGracePeriodSeconds" in probe
            else None
        ),
    )


def parse_hook(hook: dict | None, ports: dict, field: str) -> Hook | None:
    """Parse a preStop hook (exec, sleep or httpGet)."""
    if not hook:
        return None
    if "sleep" in hook:
        seconds = hook["sleep"].get("seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ManifestError(f"{field}.preStop.sleep.seconds must be a number >= 0.")
        return Hook("sleep", float(seconds))
    if "exec" in hook:
        text = " ".join(str(c) for c in hook["exec"].get("command") or ())
        m = _SLEEP.search(text)
        return Hook("exec", float(m.group(1)) if m else 0.0)
    if "httpGet" in hook:
        _port(hook["httpGet"].get("port"), ports, f"{field}.preStop.httpGet")
        return Hook("http", 0.0)
    raise ManifestError(f"{field}.preStop: give one of exec, sleep or httpGet.")


def _exec(probe: Probe, server, t: float) -> tuple[bool | None, str]:
    """Run an exec probe in the container, as the kubelet's exec prober reads the result.

    Exit 0 passes, any other exit fails with the command's output as the message; past
    timeoutSeconds it fails with 'command "..." timed out' (ExecProbeTimeout, GA in 1.20).
    A command the runtime cannot start is an error, not a failure: the kubelet posts
    "probe errored" and throws the result away (pkg/kubelet/prober/worker.go), so a
    missing binary never restarts the container (kubernetes/kubernetes#106682).
    """
    done = shell.run(probe.script, server.files, t)
    if done.error:
        exec_id = hashlib.sha256(f"{server.started}/{t}/{probe.command}".encode()).hexdigest()
        return None, (
            "rpc error: code = Unknown desc = failed to exec in container: failed to start "
            f'exec "{exec_id}": OCI runtime exec failed: exec failed: unable to start '
            f"container process: {done.error}: unknown"
        )
    if done.end - t > probe.timeout:
        return False, f"command {json.dumps(' '.join(probe.command), ensure_ascii=False)} timed out"
    return done.code == 0, done.output


def check(probe: Probe, server, t: float, ip: str) -> tuple[bool | None, str]:
    """Run ``probe`` against a simulated container at ``t``: (result, message).

    The result is True (success), False (failure, message as the kubelet's event shows it)
    or None (the probe errored: the kubelet reports it and keeps the previous result).
    """
    if probe.kind == "exec":
        if not server.running(t):
            return False, "container is not running"
        return _exec(probe, server, t)
    if probe.port is None:
        return None, probe.port_error  # a named port the container does not declare
    listening = probe.port == server.port and server.accepting(t)
    if not listening:
        addr = f"{ip}:{probe.port}"  # only failures name it: most ticks at scale succeed
        if probe.kind == "tcp":
            return False, f"dial tcp {addr}: connect: connection refused"
        return (
            False,
            f'Get "http://{addr}{probe.path}": dial tcp {addr}: connect: connection refused',
        )
    if probe.kind == "tcp":
        return True, ""
    if probe.path in ALWAYS_OK_PATHS:
        return True, ""
    if probe.path == "/readyz":
        ok = server.ready(t)
        return ok, "" if ok else "HTTP probe failed with statuscode: 503"
    return False, "HTTP probe failed with statuscode: 404"
