"""Realtime mode: a background thread moves the clock with the wall clock times ``speed``."""

import threading
import time

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
