"""Lab 07's helm: ``helpers.lab.helm`` (the real helm on the simulator's API), reading
releases from their Secrets, and ``helpers.checks.release`` catching each wrong answer the
lab targets with a hint that names it.

Helm's documented behaviour the checks rely on:
- a release revision is a Secret of type helm.sh/release.v1 labelled owner=helm, name,
  status, version (helm.sh/docs/topics/advanced/#storage-backends);
- ``helm upgrade`` starts from the chart's values unless ``--reuse-values``
  (helm.sh/docs/helm/helm_upgrade/);
- ``helm rollback NAME`` without a revision rolls back to the previous one, as a new
  revision described "Rollback to N" (helm.sh/docs/helm/helm_rollback/).
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest

import helpers.checks
import helpers.lab
from helpers.core import helmrelease
from helpers.errors import CommandFailed, LabError, ToolMissing
from helpers.lab import helm_runner
from tests.sim.httpapi_kit import HELM, helm_binary  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("helm_binary")
CHART = "../cluster/chart"


@pytest.fixture
def lab(monkeypatch, tmp_path):
    """Lab 07 on the simulator in virtual time, run from labs/ as a notebook is; helm's
    HOME is a temporary folder, to show the lab writes nothing there."""
    monkeypatch.chdir(helpers.lab.session.REPO / "labs")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.setattr(helm_runner, "find_tool", lambda name: str(HELM))
    cluster = helpers.lab.start("07_helm", backend="sim", speed="virtual")
    yield cluster
    cluster.close()


def helm(command: str) -> str:
    return str(helpers.lab.helm(command))


def install(cluster, version: str = "v1", replicas: int = 3) -> None:
    helm(f"install model {CHART} --set image.tag={version} --set replicaCount={replicas}")
    cluster.wait_rollout("model")


def upgrade(cluster, flags: str) -> None:
    helm(f"upgrade model {CHART} {flags}")
    cluster.wait_rollout("model")


# ---- the runner --------------------------------------------------------------------------


def test_install_runs_the_real_helm_and_leaves_home_alone(lab, tmp_path):
    out = helm(f"install model {CHART}")
    assert "STATUS: deployed" in out and "REVISION: 1" in out
    assert "Release model (revision 1) runs orchestra/model:v1." in out  # the chart's NOTES
    lab.wait_rollout("model")
    assert helpers.checks.replicas(lab, "model", 3)
    assert list((tmp_path / "home").iterdir()) == []  # no ~/.config/helm, no cache


@pytest.mark.parametrize("flag", ["--kube-context=other", "--kubeconfig", "--kube-token=x"])
def test_flags_that_point_elsewhere_are_refused(lab, flag):
    with pytest.raises(LabError, match="always talks to the lab's cluster"):
        helpers.lab.helm(f"list {flag}")


@pytest.mark.parametrize("command", [f"upgrade --install model {CHART} --wait",
                                     f"install model {CHART} --atomic", "test model"])  # fmt: skip
def test_waiting_is_refused_in_virtual_time_with_what_to_use(lab, command):
    with pytest.raises(LabError, match="virtual time") as err:
        helpers.lab.helm(command)
    assert "cluster.wait_rollout" in err.value.hint


def test_helm_errors_come_back_in_helms_words_with_a_next_step(lab):
    install(lab)
    with pytest.raises(CommandFailed, match="cannot re-use a name that is still in use") as err:
        helpers.lab.helm(f"install model {CHART}")
    assert "helm upgrade" in err.value.hint
    with pytest.raises(CommandFailed, match="not found") as err:
        helpers.lab.helm("install other cluster/chart")  # the repository root's path
    assert "../cluster/chart" in err.value.hint


def test_no_helm_installed_says_how_to_get_it(lab, monkeypatch):
    monkeypatch.setattr(helm_runner, "find_tool", lambda name: None)
    with pytest.raises(ToolMissing, match="helm is not installed") as err:
        helpers.lab.helm("list")
    assert "make tools" in err.value.hint


def test_the_next_start_removes_the_release_so_install_works_again(lab):
    install(lab)
    helpers.lab.start("07_helm", backend="sim", speed="virtual")
    assert helmrelease.releases(helpers.lab.current(), "model") == []
    assert "STATUS: deployed" in helm(f"install model {CHART}")


# ---- reading releases --------------------------------------------------------------------


def test_releases_read_from_secrets_match_helm_history(lab):
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    helm("rollback model 1")
    history = helmrelease.releases(lab, "model")
    assert [(r.revision, r.status, r.description) for r in history] == [
        (1, "superseded", "Install complete"),
        (2, "superseded", "Upgrade complete"),
        (3, "deployed", "Rollback to 1"),
    ]
    assert history[1].values == {"image": {"tag": "v2"}}  # what helm get values shows
    assert history[1].image("model") == "orchestra/model:v2"
    assert history[2].image("model") == "orchestra/model:v1" and history[2].rollback_of() == 1
    assert history[0].chart_values["replicaCount"] == 3  # the chart's values.yaml
    assert helmrelease.deployed(lab, "model").revision == 3


def test_a_secret_that_is_no_release_is_refused_clearly():
    with pytest.raises(LabError, match="is not a helm release"):
        helmrelease.decode({"type": "Opaque", "metadata": {"name": "x"}, "data": {}})
    garbage = base64.b64encode(b"not base64 of gzip").decode()
    with pytest.raises(LabError, match="no readable helm release"):
        helmrelease.decode({"type": helmrelease.SECRET_TYPE, "metadata": {"name": "x"},
                            "data": {"release": garbage}})  # fmt: skip


def test_decode_reads_helms_encoding():
    """base64(gzip(JSON)) by helm, inside the Secret's own base64 (pkg/storage/driver/util.go)."""
    record = {"name": "m", "version": 2, "info": {"status": "deployed", "description": "d"},
              "config": {"a": 1}, "manifest": "kind: Service\nmetadata:\n  name: m\n"}  # fmt: skip
    inner = base64.b64encode(gzip.compress(json.dumps(record).encode()))
    secret = {"type": helmrelease.SECRET_TYPE, "metadata": {"name": "sh.helm.release.v1.m.v2"},
              "data": {"release": base64.b64encode(inner).decode()}}  # fmt: skip
    release = helmrelease.decode(secret)
    assert (release.name, release.revision, release.values) == ("m", 2, {"a": 1})
    assert release.object("Service", "m") == {"kind": "Service", "metadata": {"name": "m"}}


# ---- the exercise checks -----------------------------------------------------------------


def test_no_release_is_caught(lab):
    result = helpers.checks.release(lab, "model", "v1", 3)
    assert not result and "has no revisions" in result.seen
    assert 'helpers.lab.helm("install model ../cluster/chart")' in result.hint


def test_07_helm_1_scaling_beside_helm_is_caught(lab):
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    lab.scale("model", 4)  # kubectl scale deployment/model --replicas=4
    result = helpers.checks.release(lab, "model", "v2", 4)
    assert not result and "changed beside helm" in result.hint


def test_07_helm_1_an_upgrade_that_drops_the_earlier_set_is_caught(lab):
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    upgrade(lab, "--set replicaCount=4")  # no --reuse-values: image.tag back to the default
    result = helpers.checks.release(lab, "model", "v2", 4)
    assert not result and "--reuse-values" in result.hint and "back on v1" in result.hint


def test_07_helm_1_an_upgrade_to_another_tag_is_not_called_dropped(lab):
    """A tag set on purpose (v3) is named as such, not as an earlier --set that was lost."""
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    helm(f"upgrade model {CHART} --set replicaCount=4 --set image.tag=v3")  # v3: stuck
    result = helpers.checks.release(lab, "model", "v2", 4)
    assert not result and "runs v3, not v2" in result.hint and "dropped" not in result.hint


def test_07_helm_1_unanswered_names_the_values_not_the_command(lab):
    """The hint for the untouched release says what to set, and leaves the command to write."""
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    result = helpers.checks.release(lab, "model", "v2", 4)
    assert not result and "replicaCount" in result.hint and "--reuse-values" in result.hint
    assert "--set replicaCount=4" not in result.hint


def test_07_helm_1_the_right_answer_passes(lab):
    install(lab)
    upgrade(lab, "--set image.tag=v2")
    upgrade(lab, "--reuse-values --set replicaCount=4")
    assert helpers.checks.release(lab, "model", "v2", 4)


@pytest.fixture
def broken(lab):
    """Lab 07 section 4: v2 with 4 replicas (revision 2), then v3 stuck (revision 3)."""
    install(lab, "v2", 4)
    helm(f"upgrade model {CHART} --reuse-values --set image.tag=v3")
    with pytest.raises(LabError):  # RolloutStuck: v3 never becomes Ready
        lab.wait_rollout("model", timeout=300)
    return lab


def test_a_stuck_helm_release_points_to_helm_rollback_not_rollout_undo(lab):
    """wait_rollout's RolloutStuck on a Deployment helm owns (label managed-by=Helm)."""
    install(lab, "v2", 4)
    helm(f"upgrade model {CHART} --reuse-values --set image.tag=v3")
    with pytest.raises(helpers.errors.RolloutStuck) as stuck:
        lab.wait_rollout("model", timeout=300)
    assert "helm rollback model <revision>" in stuck.value.hint
    assert "helm history model" in stuck.value.hint


def test_07_helm_2_before_anything_the_hint_points_to_history_and_rollback(broken):
    result = helpers.checks.release(broken, "model", "v2", 4, rollback=True)
    assert not result and "helm history model" in result.hint and "helm rollback" in result.hint


def test_07_helm_2_kubectl_rollout_undo_is_caught(broken):
    broken.rollout_undo("model")  # kubectl rollout undo deployment/model
    broken.wait_rollout("model")
    result = helpers.checks.release(broken, "model", "v2", 4, rollback=True)
    assert not result and "changed beside helm" in result.hint


def test_07_helm_2_rolling_back_too_far_is_caught(lab):
    install(lab, "v1", 3)  # revision 1
    upgrade(lab, "--reuse-values --set image.tag=v2 --set replicaCount=4")  # 2: the good one
    helm(f"upgrade model {CHART} --reuse-values --set image.tag=v3")  # 3: stuck
    helm("rollback model 1")  # 4: back to v1 with 3, not to the last good revision
    lab.wait_rollout("model")
    result = helpers.checks.release(lab, "model", "v2", 4, rollback=True)
    assert not result and "rolled back to revision 1, which runs v1 with 3" in result.hint
    assert "revision 2 does" in result.hint


def test_07_helm_2_a_forward_fix_is_not_a_rollback(broken):
    upgrade(broken, "--reuse-values --set image.tag=v2")
    result = helpers.checks.release(broken, "model", "v2", 4, rollback=True)
    assert not result and "not a rollback" in result.hint
    assert helpers.checks.release(broken, "model", "v2", 4)  # as an upgrade it is right


def test_07_helm_2_the_right_answer_passes(broken):
    helm("rollback model")  # the previous revision: v2 with 4
    broken.wait_rollout("model")
    assert helpers.checks.release(broken, "model", "v2", 4, rollback=True)
