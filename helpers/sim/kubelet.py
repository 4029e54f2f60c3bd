"""The simulated kubelet: container starts, exits, restarts, readiness and termination.

Image pulls are its image manager's (images.py). A container that exits is restarted at
once the first time, then after 10 s, 20 s ... 300 s (CrashLoopBackOff), and the delay
resets after 10 minutes of running without trouble.
(kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts)
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from helpers.core.durations import go_duration
from helpers.errors import ManifestError
from helpers.sim import podspec
from helpers.sim.envsources import ConfigError, resolve, uses_sources
from helpers.sim.images import SYNC_S, ImagePuller, next_backoff
from helpers.sim.prober import Prober
from helpers.sim.server import ServerProcess
from helpers.sim.topology import image_key

if TYPE_CHECKING:
    from helpers.sim.context import Context

# 0.5 s: creating the pod sandbox and its network before the first container step.
SANDBOX_S = 0.5
# 600 s: a container that ran this long without trouble has its back-off reset.
BACKOFF_RESET_S = 600.0
# 10 s: the pod worker's retry after a failed sync (a missing ConfigMap or Secret).
CONFIG_RETRY_S = 10.0
# Exit codes and reasons the kubelet reports.
OOM_EXIT, CRASH_EXIT = 137, 1
# The model server and the gateway exit 2 on a setting they refuse (sys.exit(2) in their main()).
SETTINGS_EXIT = 2


class Kubelet:
    """Every node's kubelet at once (callbacks check that the pod's node is up).

    The only writer of a pod's runtime status: phase, container state, restarts and
    readiness. Its ``prober`` reports probe results here; the API server hands it bound
    and deleted pods, and it removes a pod through the API once it stopped.

    Args:
        ctx: the Context (store, clock, api, events).
        images: the image references loaded into the nodes (``image_key`` form).
    """

    def __init__(self, ctx: Context, images):
        self.store, self.clock, self.api, self.events = ctx.store, ctx.clock, ctx.api, ctx.events
        self.loaded = frozenset(images)  # image references the nodes hold (kind load)
        # The store's Node table, kept at hand: every timer and probe tick asks for it.
        self._nodes = self.store.objects["Node"]
        self.prober = Prober(ctx, self)
        self.images = ImagePuller(self)

    # ---- the machines ------------------------------------------------------------------
    def node_up(self, name: str | None) -> bool:
        """Whether the node's kubelet runs."""
        node = self._nodes.get((None, name))
        return node is not None and node.up

    def image_exists(self, image: str) -> bool:
        """Whether the container runtime finds ``image`` (only the loaded images exist)."""
        return image_key(image) in self.loaded

    def power_off(self, node, now: float) -> None:
        """The machine went off: its kubelet stops, its processes are gone unreported."""
        node.up, node.stopped_at = False, now
        for pod in list(node.pods.values()):
            self.node_stopped(pod)

    def power_on(self, node) -> None:
        """The machine is back: its kubelet runs again (it resyncs its pods when told)."""
        node.up, node.stopped_at = True, None

    # ---- helpers -----------------------------------------------------------------------
    def later(self, delay: float, fn, pod, *args) -> None:
        """Run ``fn(pod, *args)`` after ``delay`` unless the pod's run ended or its node is off."""
        self.clock.call_at(self.clock.now + delay, self._guard, fn, pod, pod.epoch, args)

    def _guard(self, fn, pod, epoch, args) -> None:
        if pod.deleted or pod.epoch != epoch or not self.node_up(pod.node):
            return
        fn(pod, *args)

    def event(self, pod, type_, reason, message) -> None:
        """Post an Event about ``pod``."""
        self.events.record(f"pod/{pod.name}", type_, reason, message, pod.namespace)

    # ---- start ---------------------------------------------------------------------------
    def bound(self, pod) -> None:
        """The scheduler bound ``pod``: create its sandbox, then pull and start."""
        self.later(SANDBOX_S, self.images.pull, pod)

    def create(self, pod) -> None:
        """The image is there: create and start the container (a new server process).

        The environment's ConfigMap and Secret references are read now, at each start
        (helpers.sim.envsources); a missing one keeps the container waiting in
        CreateContainerConfigError, retried on the kubelet's next sync of the pod."""
        bad_config = None
        container = pod.spec["containers"][0]
        if uses_sources(container):
            try:
                env = resolve(self.store, container, pod.namespace)
            except ConfigError as err:
                self._config_error(pod, str(err))
                return
            try:
                settings = podspec.env_settings(env, "spec.containers[0]", pod.plan.program.app)
            except ManifestError as err:
                settings, bad_config = {}, err.what  # the server refuses it at start: exit 2
            pod.plan = dataclasses.replace(pod.plan, **settings)
        plan = pod.plan
        self.event(pod, "Normal", "Created", f"Created container: {plan.container}")
        self.event(pod, "Normal", "Started", f"Started container {plan.container}")
        now = self.clock.now
        pod.server = ServerProcess(
            now,
            plan.version,
            plan.faults,
            plan.memory_limit,
            plan.lame_duck,
            plan.program,
            plan.listen_port,
        )
        pod.cstate, pod.reason, pod.message, pod.exit_code = "running", "", "", None
        pod.phase, pod.run_started, pod.finished_at = "Running", now, None
        pod.started = plan.startup is None
        pod.ready = plan.readiness is None and pod.started
        if pod.ready:
            pod.ready_since = now
        self.store.changed(pod)
        server = pod.server
        if bad_config is not None:
            self.later(0.0, self._exited, pod, SETTINGS_EXIT, "Error")
        elif server.crash_at is not None:
            self.later(server.crash_at - now, self._exited, pod, CRASH_EXIT, "Error")
        elif server.oom_at is not None:
            self.later(server.oom_at - now, self._exited, pod, OOM_EXIT, "OOMKilled")
        elif server.script_exit is not None:
            # The command ran to its end: exit 0 is Completed, anything else Error.
            at, code = server.script_exit
            self.later(at - now, self._exited, pod, code, "Completed" if code == 0 else "Error")
        self.prober.start(pod)

    def _config_error(self, pod, message: str) -> None:
        self.event(pod, "Warning", "Failed", f"Error: {message}")
        self.waiting(pod, "CreateContainerConfigError", message)
        self.later(CONFIG_RETRY_S, self.create, pod)

    def waiting(self, pod, reason: str, message: str) -> None:
        """The container waits (ErrImagePull, ImagePullBackOff, ...)."""
        pod.cstate, pod.reason, pod.message = "waiting", reason, message
        self.store.changed(pod)

    # ---- readiness -----------------------------------------------------------------------
    def mark_ready(self, pod, ready: bool) -> None:
        """The readiness probe's result for the pod's container."""
        if pod.ready == ready:
            return
        pod.ready = ready
        if ready:
            pod.ready_since = self.clock.now
        self.store.changed(pod)

    def startup_passed(self, pod) -> None:
        """The startupProbe succeeded: the container counts as started."""
        pod.started = True
        if pod.plan.readiness is None:
            self.mark_ready(pod, True)

    # ---- exits and restarts --------------------------------------------------------------
    def _exited(self, pod, code: int, reason: str) -> None:
        """The container's process ended on its own (crash, OOM kill, or after a kill)."""
        now = self.clock.now
        if pod.server is not None and pod.server.exit_at is None:
            pod.server.exit_at = now
        pod.epoch += 1  # stops probes and timers of the finished run
        ran = now - (pod.run_started or now)
        pod.cstate, pod.reason, pod.exit_code, pod.finished_at = "terminated", reason, code, now
        pod.ready = False
        pod.remember_exit()
        policy = pod.plan.restart_policy
        if policy == "Never" or (policy == "OnFailure" and code == 0):
            pod.phase = "Succeeded" if code == 0 else "Failed"
            self.store.changed(pod)
            return
        if ran >= BACKOFF_RESET_S:
            pod.backoff = 0.0
        delay = pod.backoff
        pod.backoff = next_backoff(pod.backoff)
        self.store.changed(pod)
        if delay <= 0:
            self.later(SYNC_S, self._restart, pod)
            return
        self.later(SYNC_S, self._crash_backoff, pod, delay)

    def _crash_backoff(self, pod, delay: float) -> None:
        name = pod.plan.container
        msg = f"Back-off restarting failed container {name} in pod {pod.name}_{pod.namespace}({pod.uid})"
        self.event(pod, "Warning", "BackOff", msg)
        pod.cstate, pod.reason = "waiting", "CrashLoopBackOff"
        # A Go duration, as the kubelet prints backOff.Get(key) with %s: "1m20s", "5m0s".
        pod.message = f"back-off {go_duration(delay)} restarting failed container={name} pod={pod.name}_{pod.namespace}({pod.uid})"
        self.store.changed(pod)
        self.later(max(delay - SYNC_S, 0.0), self._restart, pod)

    def _restart(self, pod) -> None:
        pod.restarts += 1
        self.create(pod)

    def kill_for_probe(self, pod, probe_name: str) -> None:
        """A liveness or startup probe failed: stop the container; it is then restarted."""
        msg = f"Container {pod.plan.container} failed {probe_name} probe, will be restarted"
        self.event(pod, "Normal", "Killing", msg)
        pod.epoch += 1
        server, now = pod.server, self.clock.now
        server.sigterm_at = now
        pod.ready = False
        self.store.changed(pod)
        probe = getattr(pod.plan, probe_name)
        # The probe's own terminationGracePeriodSeconds wins over the pod's.
        grace = probe.grace if probe.grace is not None else pod.plan.grace
        # The server drains and exits 0; a shell as PID 1 ignores SIGTERM until SIGKILL.
        delay, code, reason = server.kill(now, grace)
        self.later(delay, self._exited, pod, code, reason)

    # ---- termination -----------------------------------------------------------------------
    def terminate(self, pod) -> None:
        """The pod was deleted: preStop, SIGTERM, SIGKILL at the grace period's end."""
        pod.epoch += 1
        if pod.node is None:
            self.api.remove_pod(pod)
            return
        if not self.node_up(pod.node):
            return  # the kubelet is away: the pod stays Terminating until the node returns
        if pod.cstate != "running":
            self.later(0.0, self.api.remove_pod, pod)
            return
        plan = pod.plan
        grace = pod.meta.get("deletionGracePeriodSeconds", plan.grace)
        self.event(pod, "Normal", "Killing", f"Stopping container {plan.container}")
        hook = plan.pre_stop.seconds if plan.pre_stop else 0.0
        sigterm = min(hook, grace)
        running = pod.server.running(self.clock.now)
        exit_after = sigterm + pod.server.exit_delay(self.clock.now + sigterm) if running else 0.0
        if exit_after > grace:
            exit_after = grace  # SIGKILL when the grace period ends
        if pod.server is not None and sigterm < grace:
            self.clock.call_at(self.clock.now + sigterm, self._sigterm, pod)
        self.later(exit_after, self._finished, pod)

    def _sigterm(self, pod) -> None:
        if pod.server is not None and pod.server.sigterm_at is None:
            pod.server.sigterm_at = self.clock.now
            pod.ready = False
            if not pod.deleted:
                self.store.changed(pod)

    def _finished(self, pod) -> None:
        if pod.server is not None and pod.server.exit_at is None:
            pod.server.exit_at = self.clock.now
        self.api.remove_pod(pod)

    # ---- node power ----------------------------------------------------------------------
    def node_stopped(self, pod) -> None:
        """The machine went off: the process is gone, but nobody reports it yet."""
        pod.epoch += 1
        if pod.server is not None and pod.server.exit_at is None:
            pod.server.exit_at = self.clock.now

    def node_started(self, pod) -> None:
        """The node is Ready again: finish deletions, restart containers that were running."""
        pod.node_ready = True
        pod.epoch += 1
        if pod.terminating:
            self.api.remove_pod(pod)
            return
        if pod.cstate == "running":
            pod.cstate, pod.reason, pod.exit_code = "terminated", "Unknown", 255
            pod.finished_at = self.clock.now
            pod.remember_exit()
            pod.ready = False
            self.store.changed(pod)
            self.later(SANDBOX_S, self._restart, pod)
        else:
            self.later(SANDBOX_S, self.images.pull, pod)
