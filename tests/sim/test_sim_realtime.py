"""Realtime mode: a background thread moves the clock with the wall clock times ``speed``;
waits keep virtual time's semantics (tests/sim/test_realtime_equivalence.py: a scenario)."""

import threading
import time

import pytest

from helpers.errors import LabError, LabTimeout
from helpers.sim import SimCluster
from tests.manifests import deployment


def test_realtime_clock_follows_the_wall_clock_and_close_stops_it():
    sim = SimCluster(seed=0, realtime=True, speed=50)
    try:
        seen = []
        sim.subscribe(lambda ch: seen.append(threading.current_thread().name))
        sim.apply(deployment(replicas=2))
        start = time.monotonic()
        sim.wait_rollout("web", timeout=60)
        wall = time.monotonic() - start
        assert wall < 10  # ~0.2 s at 50x; generous for a loaded machine
        assert "sim-clock" in seen  # changes arrive from the clock thread
        t0 = sim.now()
        deadline = time.monotonic() + 5
        while sim.now() <= t0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.now() > t0  # the clock runs by itself
        assert "realtime" in repr(sim)
    finally:
        sim.close()
    assert not any(t.name == "sim-clock" for t in threading.enumerate())


def test_realtime_waits_end_at_the_cluster_time_virtual_time_would():
    sim = SimCluster(seed=0, realtime=True, speed=200)
    try:
        start = sim.now()
        seen: list[float] = []
        with pytest.raises(LabTimeout):
            sim.wait(lambda c: seen.append(c.now()) or False, timeout=5, what="nothing")
        assert seen[-1] == start + 5  # the last look is at the deadline, not a tick past it
        with sim.lock:  # the clock thread cannot move between the sleep and the look
            before = sim.now()
            sim.sleep(2.5)
            assert sim.now() == before + 2.5
    finally:
        sim.close()


def test_an_error_in_a_wait_condition_reaches_the_waiter_not_the_clock_thread():
    sim = SimCluster(seed=0, realtime=True, speed=200)
    try:
        looks = []

        def breaks_later(cluster):
            looks.append(threading.current_thread().name)
            if len(looks) > 1:
                raise ZeroDivisionError("in the condition")
            return False

        sim.apply(deployment(replicas=1))  # changes to come: the clock thread looks again
        with pytest.raises(ZeroDivisionError):
            sim.wait(breaks_later, timeout=60, what="a broken condition")
        assert looks[-1] == "sim-clock" and sim._driver.errors == []
    finally:
        sim.close()
    with pytest.raises(LabError, match="clock is stopped"):
        sim.wait(lambda c: False, timeout=5, what="a closed cluster")
