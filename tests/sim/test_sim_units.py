"""Unit tests of the simulator's building blocks: clock, rolling arithmetic, names, probes."""

import random

import pytest

from helpers.errors import ManifestError
from helpers.sim.clock import Clock
from helpers.sim.names import ALPHABET, suffix, template_hash
from helpers.sim.probes import parse_hook, parse_probe
from helpers.sim.rolling import fenceposts, new_scale_up, old_scale_down
from helpers.sim.workqueue import WorkQueue


def test_clock_runs_by_time_then_insertion_and_cancels():
    clock, out = Clock(), []
    clock.call_at(5, out.append, "b")
    clock.call_at(1, out.append, "a")
    handle = clock.call_at(5, out.append, "cancelled")
    clock.call_at(5, out.append, "c")
    clock.cancel(handle)
    clock.run_until(10)
    assert out == ["a", "b", "c"] and clock.now == 10


def test_callbacks_in_the_past_run_now():
    clock, out = Clock(start=10), []
    clock.call_at(3, lambda: out.append(clock.now))
    clock.run_until(10)
    assert out == [10]


def test_workqueue_syncs_a_key_once_per_instant():
    clock, seen = Clock(), []
    q = WorkQueue(clock, seen.append)
    for key in ("a", "b", "a"):
        q.add(key)
    clock.run_until(0)
    assert seen == ["a", "b"]


@pytest.mark.parametrize(
    ("strategy", "replicas", "expected"),
    [
        ({}, 4, (1, 1)),
        ({}, 3, (1, 0)),
        ({}, 10, (3, 2)),
        ({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"}}, 3, (0, 1)),
        ({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}, 3, (1, 0)),
        ({"rollingUpdate": {"maxSurge": "50%", "maxUnavailable": "50%"}}, 5, (3, 2)),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(strategy, replicas, expected):
    """https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-surge"""
    assert fenceposts(strategy, replicas) == expected


def test_scale_up_stays_within_the_surge():
    assert new_scale_up(replicas=3, surge=1, total_spec=3, new_spec=0) == 1
    assert new_scale_up(replicas=3, surge=1, total_spec=4, new_spec=1) == 1
    assert new_scale_up(replicas=3, surge=2, total_spec=3, new_spec=0) == 2


def test_scale_down_keeps_availability_and_drops_unhealthy_first():
    # 3 replicas, maxUnavailable 0: one new available pod lets one old go
    assert old_scale_down(3, 0, [(3, 3)], new_spec=1, new_available=1) == [2]
    assert old_scale_down(3, 0, [(3, 3)], new_spec=1, new_available=0) == [3]
    # an old pod that is not available goes first, without costing availability
    assert old_scale_down(3, 1, [(3, 2)], new_spec=1, new_available=0) == [2]


def test_names_use_the_kubernetes_alphabet_and_the_seed():
    a, b = random.Random("0:names"), random.Random("0:names")
    assert suffix(a) == suffix(b)
    assert set(suffix(a)) <= set(ALPHABET) and len(suffix(a)) == 5
    t1 = {"spec": {"containers": [{"name": "m", "image": "orchestra/model:v1"}]}}
    t2 = {"spec": {"containers": [{"name": "m", "image": "orchestra/model:v2"}]}}
    assert template_hash(t1) == template_hash(t1) != template_hash(t2)


def test_probe_defaults_are_the_documented_ones():
    """https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/#configure-probes"""
    probe = parse_probe({"httpGet": {"path": "/readyz", "port": "http"}}, {"http": 8080}, "p")
    assert (probe.initial, probe.period, probe.timeout, probe.success, probe.failure) == (
        0,
        10,
        1,
        1,
        3,
    )
    assert probe.port == 8080
    with pytest.raises(ManifestError, match="exactly one"):
        parse_probe({"periodSeconds": 5}, {}, "p")


@pytest.mark.parametrize(
    ("hook", "seconds"),
    [
        ({"exec": {"command": ["sleep", "5"]}}, 5),
        ({"exec": {"command": ["/bin/sh", "-c", "sleep 7"]}}, 7),
        ({"exec": {"command": ["python", "-c", "import time; time.sleep(5)"]}}, 5),
        ({"sleep": {"seconds": 3}}, 3),
        ({"httpGet": {"path": "/drain", "port": 8080}}, 0),
    ],
)
def test_prestop_hooks_delay_sigterm(hook, seconds):
    assert parse_hook(hook, {}, "lifecycle").seconds == seconds
