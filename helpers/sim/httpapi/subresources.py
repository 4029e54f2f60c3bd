"""Pod subresources: ``pods/<name>/log`` (kubectl logs) and ``pods/<name>/eviction``
(kubectl drain).

The simulator runs no process, so a log is **made up** from the simulated server's
lifecycle times (helpers.sim.server.ServerProcess): the lines cluster/model's server
prints (its ``logging.basicConfig`` format and uvicorn's startup lines), each stamped with
the cluster time at which the simulated process reached that step. Request lines are
absent, as in the image (uvicorn's ``access_log=False``).
"""

from __future__ import annotations

import time

from helpers.errors import NotFound
from helpers.sim.clock import EPOCH_SECONDS, iso
from helpers.sim.httpapi.statuses import ApiError
from helpers.sim.program import GATEWAY


def _stamp(t: float) -> str:
    # Python logging's asctime: "2026-01-01 00:00:01,000"
    whole = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(EPOCH_SECONDS + int(t)))
    return f"{whole},{int((t % 1) * 1000):03d}"


def server_lines(server, now: float, plan=None) -> list[tuple[float, str]]:
    """(time, line) pairs the simulated server (the model's, or the gateway's: ``plan`` has
    its settings) has printed by ``now``."""
    if server is None:
        return []
    out = []
    if server.app == GATEWAY and plan is not None:
        token = "set" if plan.token else "not set"
        out.append((server.started, f"{_stamp(server.started)} INFO gateway: POST /predict goes "
                    f"to {plan.model_url} (timeout {plan.upstream_timeout:g} s, bearer token "
                    f"{token})"))  # fmt: skip
    elif plan is not None and plan.token:  # orchestra_model.server's create_app says so
        out.append((server.started, f"{_stamp(server.started)} INFO MODEL_TOKEN is set: POST "
                    "/predict needs 'Authorization: Bearer <token>'"))  # fmt: skip
    out += [(server.started, "INFO:     Started server process [1]"),
           (server.started, "INFO:     Waiting for application startup."),
           (server.listen_at, "INFO:     Application startup complete."),
           (server.listen_at, f"INFO:     Uvicorn running on http://0.0.0.0:{server.port} "
                              "(Press CTRL+C to quit)")]  # fmt: skip
    if server.crash_at is not None:
        out = [(server.started, "MODEL_FAULT_CRASH_AT_START=1: exiting with code 1 on purpose")]
    elif server.app == GATEWAY:
        pass  # the gateway loads no model: it serves from its start
    elif server.loaded_at is not None:
        line = f"{_stamp(server.loaded_at)} INFO model {server.version} ready"
        out.append((server.loaded_at, line))
    elif server.listen_at is not None:
        line = f"{_stamp(server.listen_at)} ERROR model {server.version} will never be ready"
        out.append((server.listen_at, line))
    if server.sigterm_at is not None:
        t = server.sigterm_at
        out += [(t, f"{_stamp(t)} INFO signal 15: draining for {server.lame_duck:.1f} s "
                    "before closing"),
                (t, f"{_stamp(t)} INFO shutting down: readiness is now false"),
                (t + server.lame_duck, "INFO:     Shutting down"),
                (t + server.lame_duck, "INFO:     Finished server process [1]")]  # fmt: skip
    return [(t, line) for t, line in out if t is not None and t <= now]


def pod_log(api, name: str, namespace: str, q: dict) -> bytes:
    """The text ``GET .../pods/<name>/log`` answers (``tailLines``, ``timestamps``)."""
    with api.lock:
        pod = api.store.find("Pod", name, namespace)
        if pod is None:
            raise ApiError(404, "NotFound", f'pods "{name}" not found',
                           {"name": name, "kind": "pods"})  # fmt: skip
        if q.get("previous") == "true":
            raise ApiError(400, "BadRequest", f'previous terminated container "{name}" in pod '
                           f'"{name}" not found: the simulator keeps only the current run')  # fmt: skip
        if pod.node is None or getattr(pod, "server", None) is None:
            msg = f'container "{name}" in pod "{name}" is waiting to start: ContainerCreating'
            raise ApiError(400, "BadRequest", msg)
        lines = server_lines(pod.server, api.clock.now, pod.plan)
    if q.get("tailLines", "").isdigit():
        lines = lines[len(lines) - min(len(lines), int(q["tailLines"])) :]
    if q.get("timestamps") == "true":
        return "".join(f"{iso(t)} {line}\n" for t, line in lines).encode()
    return "".join(f"{line}\n" for _, line in lines).encode()


def evict(api, name: str, namespace: str, dry_run: bool = False) -> dict:
    """POST ``.../pods/<name>/eviction``: 201 Success, or 429 when a budget refuses.
    ``dry_run`` (the Eviction's deleteOptions.dryRun): the same answer, nothing evicted."""
    try:
        allowed = api.evict(name, namespace, dry_run=dry_run)
    except NotFound:
        raise ApiError(404, "NotFound", f'pods "{name}" not found',
                       {"name": name, "kind": "pods"}) from None  # fmt: skip
    if not allowed:
        causes = [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget would be violated by this eviction",
            }
        ]
        raise ApiError(429, "TooManyRequests",
                       "Cannot evict pod as it would violate the pod's disruption budget.",
                       {"causes": causes})  # fmt: skip
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "code": 201}  # fmt: skip
