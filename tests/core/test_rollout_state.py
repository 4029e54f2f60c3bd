"""Rollout state is read as `kubectl rollout status` reads it, and fails early with a reason.

https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
"""

from helpers.core.rollout import rollout_state


def deployment(
    replicas=3, updated=3, available=3, total=3, generation=2, observed=2, conditions=()
):
    return {
        "metadata": {"name": "model", "generation": generation},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "m", "image": "orchestra/model:v2"}]}},
        },
        "status": {
            "observedGeneration": observed,
            "replicas": total,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "conditions": list(conditions),
        },
    }


def pod(status, image="orchestra/model:v2", owner="model", template_hash="new"):
    return {
        "name": f"p-{status}",
        "status": status,
        "image": image,
        "owner": owner,
        "labels": {"pod-template-hash": template_hash},
    }


def test_complete_when_all_updated_available_and_no_old_pods():
    state = rollout_state(deployment(), [])
    assert state.state == "complete"
    assert state.message == 'deployment "model" successfully rolled out'


def test_progressing_messages_follow_kubectl():
    assert "1 out of 3 new replicas" in rollout_state(deployment(updated=1), []).message
    assert "2 old replicas are pending" in rollout_state(deployment(total=5), []).message
    assert (
        "2 of 3 updated replicas are available"
        in rollout_state(deployment(available=2), []).message
    )
    assert rollout_state(deployment(observed=1), []).reason == "Waiting"


def test_progress_deadline_exceeded_is_stuck():
    cond = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "model-abc" has timed out progressing.',
    }
    state = rollout_state(deployment(updated=1, conditions=[cond]), [])
    assert (state.state, state.reason) == ("stuck", "ProgressDeadlineExceeded")


def test_new_pod_in_image_pull_backoff_fails_early():
    state = rollout_state(deployment(updated=1), [pod("Running"), pod("ImagePullBackOff")])
    assert (state.state, state.reason) == ("stuck", "ImagePullBackOff")


def test_old_revision_pods_in_trouble_do_not_fail_the_new_rollout():
    pods = [pod("CrashLoopBackOff", image="orchestra/model:v1"), pod("CrashLoopBackOff", owner="x")]
    assert rollout_state(deployment(updated=1), pods).state == "progressing"


PASSED_DEADLINE = {
    "type": "Progressing",
    "status": "False",
    "reason": "ProgressDeadlineExceeded",
    "message": 'ReplicaSet "model-abc" has timed out progressing.',
}


def test_a_stale_condition_is_not_read_before_the_new_spec_is_observed():
    # After `rollout undo` of a stuck rollout the API server bumps metadata.generation at
    # once; the deployment controller rewrites the Progressing condition only when it
    # observes the new spec. kubectl reads status only once observedGeneration caught up
    # (kubectl/pkg/polymorphichelpers/rollout_status.go), so must we.
    stale = deployment(generation=3, observed=2, updated=1, conditions=[PASSED_DEADLINE])
    state = rollout_state(stale, [])
    assert (state.state, state.reason) == ("progressing", "Waiting")
    observed = deployment(generation=3, observed=3, updated=1, conditions=[PASSED_DEADLINE])
    assert rollout_state(observed, []).state == "stuck"


def test_a_leftover_pod_of_an_older_replicaset_with_the_same_image_is_not_the_new_revision():
    # Rolling v2 -> v3(typo) -> undo to v2 again: a crash-looping pod of the first v2
    # ReplicaSet may linger with the same image; only the newest ReplicaSet's pods count.
    leftover = pod("CrashLoopBackOff", template_hash="old")
    assert rollout_state(deployment(updated=1), [leftover], new_hash="new").state == "progressing"
    assert rollout_state(deployment(updated=1), [pod("CrashLoopBackOff")], "new").state == "stuck"


def test_a_terminating_pod_says_nothing_about_the_rollout():
    going = pod("Terminating")
    assert rollout_state(deployment(updated=1), [going], new_hash="new").state == "progressing"
