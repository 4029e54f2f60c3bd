"""Every error says what happened and what to do next, with a command to type."""

import pytest

from helpers import errors

NEXT_STEP = {
    errors.DockerUnavailable: 'helpers.connect("sim")',
    errors.ClusterUnavailable: "make cluster",
    errors.ManifestError: "kubectl explain",
    errors.NotFound: "cluster.pods()",
    errors.LabTimeout: "cluster.events()",
    errors.UnsupportedOnBackend: "make cluster",
    errors.ToolMissing: "make doctor",
    errors.ChecksumMismatch: "make cluster",
    errors.CommandFailed: "make cluster-delete",
    errors.LabError: "README",
}


@pytest.mark.parametrize("cls", list(NEXT_STEP), ids=lambda c: c.__name__)
def test_default_message_names_the_next_step(cls):
    err = cls("Something happened.")
    assert isinstance(err, errors.LabError)
    assert str(err).startswith("Something happened.")
    assert NEXT_STEP[cls] in err.hint
    assert NEXT_STEP[cls] in str(err)


def test_rollout_stuck_carries_the_kubernetes_reason_and_the_undo_command():
    err = errors.RolloutStuck("Rollout of deployment/model is stuck.", "ImagePullBackOff")
    assert err.reason == "ImagePullBackOff"
    assert "rollout_undo" in str(err) and "kubectl rollout undo" in str(err)


def test_service_unavailable_carries_the_status_the_client_saw():
    err = errors.ServiceUnavailable("pod model-x answered 503: its model is still loading.", 503)
    assert err.status == 503 and "wait_rollout" in str(err)


def test_hint_can_be_replaced():
    err = errors.ManifestError("spec.replicas must be >= 0.", "Write replicas: 3.")
    assert str(err) == "spec.replicas must be >= 0. Write replicas: 3."


def test_hierarchy_is_flat_under_laberror():
    for name in errors.__all__:
        cls = getattr(errors, name)
        if not isinstance(cls, type):
            continue  # full_traceback, the one function
        assert cls is errors.LabError or cls.__bases__ == (errors.LabError,)


def test_in_a_notebook_it_renders_as_message_and_next_step():
    """IPython's _render_traceback_ hook: no frames from the helpers, the fix in one line."""
    try:
        raise errors.NotFound("deployment/web not found.")
    except errors.NotFound as err:
        lines = err._render_traceback_()
    assert "NotFound" in lines[0] and "deployment/web not found." in lines[0]
    assert "cluster.pods()" in lines[1]
    assert "full_traceback()" in lines[-1]
