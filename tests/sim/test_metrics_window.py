"""Per-pod CPU metrics: busy time over a 15 s window, none until a pod has run one window.

metrics-server scrapes once per resolution (default 15 s) and reports CPU as the rate
between a container's last two samples, stamped with the later one; so what it serves is
up to one resolution old, and a pod that just started has no metrics yet:
https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/
(the course cluster sets --metric-resolution=15s in cluster/metrics-server.yaml)
"""

import pytest

from helpers.sim.clock import Clock
from helpers.sim.metrics import IDLE_CPU_CORES, WINDOW_S, Metrics


class FakePlane:
    """A stand-in DataPlane: clock, now, pod_rows, subscribe, serving, node_up."""

    def __init__(self):
        self.clock = Clock()
        self.subs = []
        self.alive = set()

    def now(self):
        return self.clock.now

    def pod_rows(self):
        return [self.row("old", "Running", ready=True)]

    def subscribe(self, fn):
        self.subs.append(fn)
        return lambda: self.subs.remove(fn)

    def serving(self, pod, namespace="default"):
        return type("Serving", (), {"node": "w1"})() if pod in self.alive else None

    def node_up(self, node):
        return True

    @staticmethod
    def row(name, status, ready=False, restarts=0):
        phase = "Running" if status in ("Running", "Terminating") else "Pending"
        return {
            "name": name,
            "namespace": "default",
            "status": status,
            "phase": phase,
            "ready": ready,
            "restarts": restarts,
        }

    def pod(self, name, status, ready=False, restarts=0, type_="MODIFIED"):
        row = None if type_ == "DELETED" else self.row(name, status, ready, restarts)
        change = {"kind": "Pod", "type": type_, "key": f"default/{name}", "row": row}
        change["time"] = self.clock.now
        for fn in self.subs:
            fn(change)

    def at(self, t):
        self.clock.run_until(t)


@pytest.fixture
def hooks():
    h = FakePlane()
    h.alive = {"old", "new"}
    return h


def test_usage_is_busy_time_over_the_window_plus_idle(hooks):
    m = Metrics(hooks)  # phase 0: scrapes at 0, 15, 30, ...
    hooks.at(105)
    for i in range(150):  # 150 requests of 20 ms in the 15 s before the scrape at 105
        m.add_busy("old", "default", 90 + i * 0.1, 0.02)
    assert m.pod_sample("old") == (pytest.approx(IDLE_CPU_CORES + 3 / WINDOW_S), 105)
    hooks.at(200)  # the work is long past the window
    assert m.pod_cpu("old") == pytest.approx(IDLE_CPU_CORES)


def test_what_is_served_is_the_last_scrape_until_the_next(hooks):
    m = Metrics(hooks, phase=7)  # scrapes at 7, 22, 37, ...
    hooks.at(23)
    m.add_busy("old", "default", 23, 1.5)  # load after the scrape at 22
    assert m.pod_sample("old") == (pytest.approx(IDLE_CPU_CORES), 22)
    hooks.at(36.9)
    assert m.pod_cpu("old") == pytest.approx(IDLE_CPU_CORES)  # not scraped yet
    hooks.at(37)
    assert m.pod_sample("old") == (pytest.approx(IDLE_CPU_CORES + 1.5 / WINDOW_S), 37)


def test_a_pod_has_no_metrics_until_it_ran_one_window(hooks):
    m = Metrics(hooks)
    hooks.at(10)
    hooks.pod("new", "ContainerCreating")
    assert m.pod_cpu("new") is None
    hooks.at(12)
    hooks.pod("new", "Running")
    hooks.at(27)  # running one window, but the scrapes (0, 15, 30) saw it once only
    assert m.pod_cpu("new") is None
    hooks.at(29.9)
    assert m.pod_cpu("new") is None
    hooks.at(30)  # the scrapes at 15 and 30 both saw it running
    assert m.pod_sample("new") == (pytest.approx(IDLE_CPU_CORES), 30)
    times = m.pod_times("new")
    assert (times.started, times.first_started) == (12, 12)


def test_a_restart_starts_the_window_again_and_a_gone_pod_has_none(hooks):
    m = Metrics(hooks)
    hooks.pod("new", "Running")
    hooks.at(60)
    hooks.pod("new", "Running", restarts=1)
    assert m.pod_cpu("new") is None
    assert m.pod_times("new").first_started == 0
    hooks.at(80)
    assert m.pod_cpu("new") is not None
    hooks.alive.discard("new")
    assert m.pod_cpu("new") is None
    hooks.pod("new", "", type_="DELETED")
    assert m.pod_times("new") is None


def test_readiness_changes_are_timed(hooks):
    m = Metrics(hooks)
    hooks.pod("new", "Running")
    hooks.at(3)
    hooks.pod("new", "Running", ready=True)
    times = m.pod_times("new")
    assert times.ready and times.ready_changed == 3
    assert m.pod_times("old").ready  # running before metrics began: ready long ago
