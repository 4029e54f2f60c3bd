"""helpers.checks on Deployments: each check passes on a right state and fails with its hint.

Kubernetes behaviour relied on: a Deployment's ready replicas and rollouts
(https://kubernetes.io/docs/concepts/workloads/controllers/deployment/), CrashLoopBackOff
(https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
"""

from __future__ import annotations

import pytest

import helpers.lab
from helpers import checks
from helpers.errors import LabError


def test_replicas_passes_once_the_scaled_pods_are_ready(deployed):
    deployed.scale("model", 5)
    result = checks.replicas(deployed, "model", 5)  # waits for the two new pods
    assert result and result.passed
    assert "5 ready" in result.seen


def test_replicas_fails_at_once_with_the_scale_hint(deployed):
    t0 = deployed.now()
    result = checks.replicas(deployed, "model", 5)
    assert not result
    assert deployed.now() == t0  # a wrong spec is reported without waiting
    assert 'cluster.scale("model", 5)' in result.hint
    assert "kubectl scale deployment/model --replicas=5" in result.hint


def test_replicas_declarative_hint_edits_the_manifest(deployed):
    """Exercise 02-deploy-3 asks for the declarative way: the hint must not offer scale."""
    result = checks.replicas(deployed, "model", 5, declarative=True)
    assert not result
    assert "spec.replicas to 5" in result.hint and "cluster.apply" in result.hint
    assert "cluster.scale" not in result.hint


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A student's working folder (helpers.lab.workdir) in a notebook folder of its own."""
    monkeypatch.chdir(tmp_path)
    return helpers.lab.workdir()


def edit_replicas(path, n: int) -> None:
    text = path.read_text()
    assert "replicas: 3" in text
    path.write_text(text.replace("replicas: 3", f"replicas: {n}"))


def test_declarative_with_the_file_passes_once_it_says_5_and_is_applied(deployed, work):
    """Exercise 02-deploy-3, answered: the file says 5 and is applied (object management:
    kubernetes.io/docs/concepts/overview/working-with-objects/object-management/)."""
    manifest = work / "model-deployment.yaml"
    edit_replicas(manifest, 5)
    assert "+  replicas: 5" in deployed.diff(manifest)
    deployed.apply(manifest)
    assert not deployed.diff(manifest)
    result = checks.replicas(deployed, "model", 5, declarative=manifest)
    assert result.passed, result.hint


def test_declarative_fails_on_the_imperative_scale_and_says_apply_would_undo_it(deployed, work):
    """The mistake 02-deploy-3 targets: scaled by command, the file still says 3."""
    manifest = work / "model-deployment.yaml"
    deployed.scale("model", 5)
    result = checks.replicas(deployed, "model", 5, declarative=manifest)
    assert not result
    assert "model-deployment.yaml says replicas: 3" in result.seen
    assert "would scale it back to 3" in result.hint
    assert "spec.replicas to 5 in model" not in result.hint  # the file named as the student sees it
    assert "spec.replicas to 5 in work/model-deployment.yaml" in result.hint
    assert "cluster.scale" not in result.hint


def test_declarative_fails_on_an_edited_file_not_applied(deployed, work):
    manifest = work / "model-deployment.yaml"
    edit_replicas(manifest, 5)
    result = checks.replicas(deployed, "model", 5, declarative=manifest)
    assert not result
    assert "but the cluster differs from the file" in result.seen
    assert 'cluster.apply("work/model-deployment.yaml")' in result.hint
    assert "kubectl diff -f work/model-deployment.yaml" in result.hint


def test_declarative_names_a_broken_file(deployed, work):
    manifest = work / "model-deployment.yaml"
    manifest.write_text(manifest.read_text().replace("replicas: 3", "replicas: five"))
    result = checks.replicas(deployed, "model", 5, declarative=manifest)
    assert not result
    assert "model-deployment.yaml does not apply" in result.seen and "replicas" in result.seen


def test_workdir_copies_the_manifests_once_and_keeps_edits(work):
    manifest = work / "model-deployment.yaml"
    assert work.name == "work" and manifest.is_file()
    edit_replicas(manifest, 5)
    again = helpers.lab.workdir()
    assert again == work and "replicas: 5" in manifest.read_text()  # the edit is kept
    manifest.unlink()
    helpers.lab.workdir()
    assert "replicas: 3" in manifest.read_text()  # deleted: the course's version is back


def test_replicas_names_a_crash_loop_instead_of_waiting(deployed):
    """A container that exits at start ends in CrashLoopBackOff (pod-lifecycle docs)."""
    helpers.lab.set_env(deployed, "model", MODEL_FAULT_CRASH_AT_START="1")
    deployed.scale("model", 4)
    result = checks.replicas(deployed, "model", 4)
    assert not result
    assert "CrashLoopBackOff" in result.hint


def test_replicas_on_a_missing_deployment_says_to_apply(sim):
    result = checks.replicas(sim, "model", 3)
    assert not result
    assert "there is no deployment/model" in result.seen
    assert "apply" in result.hint


def test_replicas_refuses_misuse(deployed):
    with pytest.raises(LabError):
        checks.replicas(deployed, "model", -1)


def test_rolled_out_passes_after_a_rollout(deployed):
    deployed.set_image("model", "orchestra/model:v2")
    assert checks.rolled_out(deployed, "model", "v2")


def test_rolled_out_fails_with_the_set_image_hint(deployed):
    result = checks.rolled_out(deployed, "model", "v2")
    assert not result
    assert "kubectl set image deployment/model model=orchestra/model:v2" in result.hint


def test_rolled_out_reports_a_stuck_rollout(deployed):
    """A missing image ends in ErrImagePull/ImagePullBackOff (images docs)."""
    deployed.set_image("model", "orchestra/model:v9")
    result = checks.rolled_out(deployed, "model", "v9")
    assert not result
    assert "rollout_undo" in result.hint
    assert "ImagePull" in result.hint or "ErrImagePull" in result.hint


def test_healthy_passes_on_the_course_deployment(deployed):
    result = checks.healthy(deployed, "model")
    assert result
    assert result.seen == "3/3 ready"


def test_healthy_names_the_fault_switch_left_on(deployed):
    helpers.lab.set_env(deployed, "model", MODEL_FAULT_LATENCY_MS="50")
    result = checks.healthy(deployed, "model")
    assert not result
    assert "MODEL_FAULT_LATENCY_MS" in result.hint
    assert "kubectl set env deployment/model MODEL_FAULT_LATENCY_MS-" in result.hint


def test_result_shows_mark_seen_and_hint_only_when_failed(deployed):
    good = checks.replicas(deployed, "model", 3)
    bad = checks.replicas(deployed, "model", 4)
    assert repr(good).startswith("✓ deployment/model runs 3 ready replicas")
    assert "hint" not in repr(good) and "hint" not in good._repr_html_()
    assert repr(bad).startswith("✗") and "hint:" in repr(bad)
    assert "<b>hint:</b>" in bad._repr_html_()
