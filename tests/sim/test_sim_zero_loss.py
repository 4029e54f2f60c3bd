"""Rollouts under traffic: the careful manifest loses nothing, the naive one loses requests.

The naive Deployment has no readiness probe (pods get traffic while the model loads: 503),
no preStop (a pod closes its socket while proxies still route to it: refused) and the
default 25 % maxUnavailable.
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.sim import SimCluster
from tests.manifests import MANIFESTS

ROOT = Path(__file__).resolve().parents[2]


def rollout_under_load(manifest: Path):
    sim = SimCluster(seed=0)
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(manifest)
    sim.wait_rollout("model")
    sim.sleep(10)
    with sim.traffic("model", rps=50) as run:
        sim.sleep(5)
        sim.set_image("model", "orchestra/model:v2")
        sim.wait_rollout("model")
        sim.sleep(15)
    return run.results


def test_best_practice_rollout_loses_no_request():
    results = rollout_under_load(MANIFESTS / "model-deployment.yaml")
    assert len(results) > 1000
    assert results["ok"].all()
    assert set(results["version"]) == {"v1", "v2"}


def test_naive_rollout_loses_requests():
    results = rollout_under_load(MANIFESTS / "naive" / "model-naive.yaml")
    failed = results[~results["ok"]]
    assert len(failed) > 0
    assert 503 in set(failed["status"])  # ready before the model loaded


@pytest.mark.slow
def test_runs_are_identical_across_interpreter_hash_seeds():
    code = (
        "import hashlib, json; from tests.sim.test_sim_properties import scenario; "
        "ev, tr, pods = scenario(3); "
        "print(hashlib.sha256(json.dumps([ev, pods, tr.to_dict('list')], default=str).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
