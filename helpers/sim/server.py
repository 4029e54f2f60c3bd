"""The simulated model server: one process per container start, as cluster/model behaves.

Timeline of a start at time s: the process listens at s + 1 (Python and uvicorn start),
/healthz answers 200 from then on, the model is loaded and warmed 2 s later (plus
MODEL_FAULT_SLOW_START_SECONDS), after which /readyz answers 200; v3 never loads. On
SIGTERM, as cluster/model's DrainingServer does, /readyz turns 503 at once while /predict
keeps answering for a lame-duck period (SHUTDOWN_DRAIN_SECONDS, default 2 s); then the
listener closes (new connections are refused), in-flight requests finish and it exits 0.
Memory is a ~100 MiB baseline plus MODEL_FAULT_MEMORY_MB_PER_S growth, which the kubelet
compares with the container's limit (OOMKilled, exit 137). A container whose ``command``
runs a script (program.py) starts the server when the script execs it, or never; until
then SIGTERM is ignored (PID 1 without a handler) and nothing listens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orchestra_model.faults import Faults

from helpers.sim.image import Files
from helpers.sim.program import GATEWAY, IMAGE_PROGRAM, MODEL, Program
from helpers.sim.program import launch as run_program

# 8080: where the image's server listens unless $PORT says otherwise (cluster/model: the
# Dockerfile's ENV PORT=8080 and EXPOSE 8080; orchestra_model.server reads $PORT).
SERVER_PORT = 8080
# 1 s: interpreter, imports and uvicorn binding the port (the course's figure for the image).
PROCESS_START_S = 1.0
# 2 s: loading, hash-checking and warming the model after the port opens.
MODEL_LOAD_S = 2.0
# 2 s: the server's lame-duck period after SIGTERM (orchestra_model.server DEFAULT_DRAIN_S).
LAME_DUCK_S = 2.0
# 0.1 s: uvicorn's next tick closes the listener and finishes in-flight (millisecond) requests.
INFLIGHT_S = 0.1
# 100 MiB: resident memory of the idle server with numpy and the model loaded.
BASELINE_MEMORY = 100 * 2**20
# 61 MiB: the gateway's (it imports the server's module, numpy with it, but loads no model).
GATEWAY_MEMORY = 61 * 2**20
# Versions whose artifacts exist in the image; v3's load fails (never Ready).
LOADABLE_VERSIONS = ("v1", "v2")
# The gateway's defaults (cluster/model/orchestra_model/gateway.py): the model Service by its
# DNS name, and 2 s for the model's answer.
DEFAULT_MODEL_URL = "http://model"
DEFAULT_GATEWAY_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Serving:
    """What a client connecting to a pod meets now (read by the traffic simulation)."""

    accepting: bool  # a TCP connection to the pod's port succeeds now
    model_loaded: bool  # /predict answers 200 rather than 503
    version: str  # model version from the image tag
    extra_latency_ms: float  # MODEL_FAULT_LATENCY_MS
    cpu_request: float | None  # cores
    cpu_limit: float | None  # cores
    node: str
    terminating: bool
    port: int = SERVER_PORT  # the container port the server listens on
    app: str = MODEL  # which of the image's servers runs: "model" or "gateway"
    token: str = ""  # MODEL_TOKEN: the model asks for it; the gateway sends it
    model_url: str = DEFAULT_MODEL_URL  # the gateway's MODEL_URL
    upstream_timeout: float = DEFAULT_GATEWAY_TIMEOUT_S  # the gateway's GATEWAY_TIMEOUT_S


class ServerProcess:
    """One run of the model server inside a container, started at ``started``."""

    __slots__ = (
        "app",
        "baseline",
        "crash_at",
        "exit_at",
        "faults",
        "files",
        "lame_duck",
        "listen_at",
        "loaded_at",
        "oom_at",
        "port",
        "script_exit",
        "server_at",
        "sigterm_at",
        "started",
        "version",
    )

    def __init__(
        self,
        started: float,
        version: str,
        faults: Faults,
        memory_limit: float | None,
        lame_duck: float = LAME_DUCK_S,
        program: Program = IMAGE_PROGRAM,
        port: int = SERVER_PORT,
    ):
        self.started = started
        self.app = program.app
        self.baseline = GATEWAY_MEMORY if self.app == GATEWAY else BASELINE_MEMORY
        self.port = port
        self.lame_duck = lame_duck
        self.version = version
        self.faults = faults
        self.files = Files()  # a new container's files (exec probes read them)
        # When the server process starts (a command may run a script first, or never start it).
        launch = run_program(program, self.files, started)
        self.server_at = launch.server_at
        self.script_exit = None if launch.exit_at is None else (launch.exit_at, launch.exit_code)
        self.listen_at = math.inf if self.server_at is None else self.server_at + PROCESS_START_S
        self.sigterm_at: float | None = None
        self.exit_at: float | None = None  # set when the process ends for any reason
        serves = self.server_at is not None
        # MODEL_FAULT_CRASH_AT_START: exits with status 1 right after starting.
        self.crash_at = self.listen_at if faults.crash_at_start and serves else None
        loads = version in LOADABLE_VERSIONS and not faults.crash_at_start and serves
        if self.app == GATEWAY:
            # The gateway loads no model: it is ready to forward as soon as it listens.
            self.loaded_at = self.listen_at
        else:
            self.loaded_at = (
                self.listen_at + MODEL_LOAD_S + faults.slow_start_seconds if loads else math.inf
            )
        self.oom_at = None
        if not serves:
            pass  # a shell or sleep uses a few MiB: no OOM kill to model
        elif memory_limit is not None and faults.memory_mb_per_s > 0:
            room = max(0.0, memory_limit - self.baseline) / 2**20
            self.oom_at = self.listen_at + room / faults.memory_mb_per_s
        elif memory_limit is not None and memory_limit < self.baseline:
            self.oom_at = self.listen_at

    def running(self, t: float) -> bool:
        """The process exists at time ``t``."""
        return self.exit_at is None or t < self.exit_at

    def accepting(self, t: float) -> bool:
        """The listener is open at ``t`` (started, not yet SIGTERMed, not exited)."""
        return (
            self.listen_at <= t
            and self.running(t)
            and (self.sigterm_at is None or t < self.sigterm_at + self.lame_duck)
        )

    def model_loaded(self, t: float) -> bool:
        """/predict answers 200 at ``t`` (also during the lame-duck period)."""
        return self.accepting(t) and self.loaded_at <= t

    def ready(self, t: float) -> bool:
        """/readyz answers 200 at ``t``: loaded and not shutting down."""
        return self.model_loaded(t) and (self.sigterm_at is None or t < self.sigterm_at)

    def exit_delay(self, t: float) -> float:
        """Seconds from a SIGTERM at ``t`` to the process's exit (math.inf: it ignores it).

        The server handles SIGTERM; a shell or sleep as PID 1 has no handler, and the kernel
        drops signals without one for PID 1, so only SIGKILL ends it.
        """
        if self.server_at is None or t < self.server_at:
            return math.inf
        return self.lame_duck + INFLIGHT_S

    def kill(self, t: float, grace: float) -> tuple[float, int, str]:
        """SIGTERM at ``t``, SIGKILL ``grace`` s later: (seconds to exit, exit code, reason)."""
        delay = self.exit_delay(t)
        if delay <= grace:
            return delay, 0, "Completed"  # the server drains and exits 0
        return grace, 137, "Error"  # SIGKILL: 128 + 9

    def memory(self, t: float) -> float:
        """Resident bytes at ``t``."""
        grow = self.faults.memory_mb_per_s * max(0.0, t - self.listen_at) * 2**20
        return self.baseline + grow

    def next_change(self, t: float) -> float:
        """The next time after ``t`` at which a probe of this server could answer differently."""
        times = [x for x in (self.listen_at, self.loaded_at) if x > t]
        return min([*times, self.files.next_change(t)])

    def serving(self, t: float, plan, node: str, terminating: bool) -> Serving:
        """The Serving view of this process at ``t``."""
        return Serving(
            accepting=self.accepting(t),
            model_loaded=self.model_loaded(t),
            version=self.version,
            extra_latency_ms=self.faults.latency_ms,
            cpu_request=plan.cpu_request,
            cpu_limit=plan.cpu_limit,
            node=node,
            terminating=terminating,
            port=self.port,
            app=self.app,
            token=plan.token,
            model_url=plan.model_url,
            upstream_timeout=plan.upstream_timeout,
        )
