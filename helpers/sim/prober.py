"""The kubelet's probe workers: startup, readiness and liveness on their periods.

Each probe runs at start + initialDelaySeconds + k * periodSeconds. A failed probe posts an
Unhealthy event ("Liveness probe failed: <output>"); failureThreshold failures in a row
turn readiness off (the pod leaves the Service's endpoints, no restart) or restart the
container (liveness, startup); a startupProbe holds the other two until it succeeds. A
probe the kubelet cannot run (a missing binary, a port name the container does not declare)
posts "... probe errored and resulted in unknown state: ..." and counts neither way
(pkg/kubelet/prober/worker.go throws the result away).
(kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/)

Cheap at scale: once a probe's outcome is settled and the server cannot change before a
given time, the worker sleeps until the first period tick after that time instead of
ticking every period; the outcomes and events are the same as probing every period.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from helpers.sim.probes import check

if TYPE_CHECKING:
    from helpers.sim.context import Context

NAMES = {"startup": "Startup", "readiness": "Readiness", "liveness": "Liveness"}


class ProbeState:
    """Consecutive successes and failures of one probe worker."""

    __slots__ = ("failures", "successes")

    def __init__(self):
        self.successes = 0
        self.failures = 0


class Prober:
    """Runs every pod's probes on the simulated clock and reports results to its kubelet."""

    def __init__(self, ctx: Context, kubelet):
        self.clock, self.events, self.kubelet = ctx.clock, ctx.events, kubelet

    def start(self, pod) -> None:
        """A container started: schedule its first probes."""
        plan = pod.plan
        pod.probe_state = {}
        base = pod.run_started
        if plan.startup is not None:
            self._schedule(pod, "startup", base + plan.startup.initial)
            return
        self._start_main(pod, base)

    def _start_main(self, pod, base: float) -> None:
        for name in ("readiness", "liveness"):
            probe = getattr(pod.plan, name)
            if probe is not None:
                self._schedule(pod, name, self._aligned(base, probe, self.clock.now))

    @staticmethod
    def _aligned(base: float, probe, t: float) -> float:
        first = base + probe.initial
        if t <= first:
            return first
        return first + math.ceil((t - first) / probe.period - 1e-9) * probe.period

    def _schedule(self, pod, name: str, t: float) -> None:
        self.clock.call_at(t, self._tick, pod, name, pod.epoch)

    def _tick(self, pod, name: str, epoch: int) -> None:
        if (
            pod.deleted
            or pod.epoch != epoch
            or pod.terminating
            or not self.kubelet.node_up(pod.node)
        ):
            return
        probe = getattr(pod.plan, name)
        state = pod.probe_state.get(name)
        if state is None:
            state = pod.probe_state[name] = ProbeState()
        now = self.clock.now
        ok, message = check(probe, pod.server, now, pod.ip)
        if ok is None:
            # pkg/kubelet/prober/prober.go (v1.36): "%s probe errored and resulted in %s
            # state: %s" with the result "unknown"; worker.go throws the result away.
            self.events.record(
                f"pod/{pod.name}", "Warning", "Unhealthy",
                f"{NAMES[name]} probe errored and resulted in unknown state: {message}",
                pod.namespace,
            )  # fmt: skip
            self._schedule(pod, name, now + probe.period)
            return
        if ok:
            state.successes, state.failures = state.successes + 1, 0
        else:
            state.successes, state.failures = 0, state.failures + 1
            self.events.record(
                f"pod/{pod.name}", "Warning", "Unhealthy",
                f"{NAMES[name]} probe failed: {message}", pod.namespace,
            )  # fmt: skip
        settled = ok and state.successes >= probe.success
        if name == "startup":
            if settled:
                self.kubelet.startup_passed(pod)
                self._start_main(pod, now)
                return
            if state.failures >= probe.failure:
                self.kubelet.kill_for_probe(pod, "startup")
                return
        elif name == "liveness" and state.failures >= probe.failure:
            self.kubelet.kill_for_probe(pod, "liveness")
            return
        elif name == "readiness":
            if settled and not pod.ready:
                self.kubelet.mark_ready(pod, True)
            elif not ok and state.failures >= probe.failure and pod.ready:
                self.kubelet.mark_ready(pod, False)
        nxt = now + probe.period
        if settled:
            # Nothing can change before the server's next transition: sleep until then.
            change = pod.server.next_change(now)
            if change == math.inf:
                return
            nxt = self._aligned(pod.run_started, probe, max(change, nxt))
        self._schedule(pod, name, nxt)
