"""Lab 05's explanation of the naive rollout's failures, measured: under SERVER_CONDITIONS
(a model that loads 3 s after the port opens, a server that exits at once on SIGTERM) the
naive manifest fails with 503 and 502, a readiness probe alone leaves the 502s (exercise
05-roll-3 must catch it), and readiness + preStop + the careful strategy lose nothing.
bench/kind_report.py measures the same three on kind ("lab 05 ..." rows).

Kubernetes behaviour relied on: a pod without a readiness probe is Ready once its
containers start, and endpoint removal runs in parallel with SIGTERM unless a preStop hook
delays it (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination,
https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/).
"""

from __future__ import annotations

import pytest

import helpers.lab
from helpers import checks
from helpers.errors import LabError
from helpers.lab.experiments import PRACTICES, with_practices

CONDITIONS = helpers.lab.SERVER_CONDITIONS


@pytest.fixture(scope="module")
def cluster():
    c = helpers.lab.start("05_roll_forward", backend="sim")
    yield c
    c.close()


def _statuses(run) -> set[int]:
    return set(helpers.lab.failure_causes(run)["status"])


def test_naive_fails_for_both_reasons_the_lab_names(cluster):
    naive = helpers.lab.rollout_experiment(cluster, "naive/model-naive.yaml", env=CONDITIONS)
    assert _statuses(naive) == {502, 503}


def test_a_readiness_probe_alone_fails_exercise_05_roll_3(cluster):
    run = helpers.lab.rollout_experiment(cluster, with_practices("readinessProbe"), env=CONDITIONS)
    assert _statuses(run) == {502}
    result = checks.no_failed_requests(run)
    assert not result
    assert "preStop sleep" in result.hint and "503" not in result.hint


def test_a_prestop_alone_leaves_the_503s(cluster):
    run = helpers.lab.rollout_experiment(cluster, with_practices("preStop"), env=CONDITIONS)
    assert _statuses(run) == {503}
    assert "readinessProbe on /readyz" in checks.no_failed_requests(run).hint


def test_the_instructor_answer_loses_nothing(cluster, tmp_path):
    work = helpers.lab.workdir(tmp_path / "work")
    exec(  # the notebook's exercise cell, as LAB_AUTOSOLVE runs it: it edits the YAML file
        helpers.lab.solutions.solution_code("05-roll-3"),
        {"work": work, "helpers": helpers, "cluster": cluster},
    )
    fixed = work / "model-fixed.yaml"
    assert "preStop" in fixed.read_text()
    assert checks.no_failed_requests(helpers.lab.rollout_experiment(cluster, fixed, env=CONDITIONS))
    assert checks.no_failed_requests(
        helpers.lab.rollout_experiment(cluster, with_practices(*PRACTICES), env=CONDITIONS)
    )


def test_rollout_experiment_env_and_practices_refuse_misuse(cluster):
    with pytest.raises(LabError, match="no Deployment named 'web'"):
        helpers.lab.rollout_experiment(
            cluster, "model-deployment.yaml", env=CONDITIONS, deployment="web"
        )
    with pytest.raises(LabError, match="unknown practice 'liveness'"):
        with_practices("liveness")
