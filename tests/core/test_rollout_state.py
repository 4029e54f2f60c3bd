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


def pod(status, image="orchestra/model:v2", owner="model"):
    return {"name": f"p-{status}", "status": status, "image": image, "owner": owner}


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
