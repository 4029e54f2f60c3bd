"""Controllers observe writes asynchronously, as informers do: status lags the spec.

A write returns as soon as the API server has stored it; the controllers see it later,
through their watches. Until the Deployment controller syncs, ``metadata.generation`` is
ahead of ``status.observedGeneration`` and the conditions are the previous spec's.

https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#typical-status-properties
kubectl's rollout status (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go) prints
"Waiting for deployment spec update to be observed..." in that window.
"""

from helpers.core.rollout import rollout_state
from tests.manifests import deployment
from tests.sim.simkit import pods_of


def test_a_created_deployment_has_no_status_and_no_pods_until_the_controllers_sync(sim):
    sim.apply(deployment(replicas=2))
    dep = sim.get("deployment", "web")
    assert dep["metadata"]["generation"] == 1
    assert not (dep.get("status") or {}).get("observedGeneration")
    assert sim.list_objects("replicaset") == [] and pods_of(sim) == []
    sim.sleep(0)  # the clock moves: the watches deliver, at the same instant
    assert sim.get("deployment", "web")["status"]["observedGeneration"] == 1
    assert len(pods_of(sim)) == 2


def test_after_a_template_change_generation_leads_and_conditions_are_stale(sim):
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web", timeout=60)
    before = sim.get("deployment", "web")
    sim.patch(
        "deployment",
        "web",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "model",
                                "image": "orchestra/model:v2",
                                "ports": [{"containerPort": 8080}],
                            }
                        ]
                    }
                }
            }
        },
    )
    after = sim.get("deployment", "web")
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert after["status"] == before["status"]  # nothing has observed the new spec yet
    state = rollout_state(after, sim.snapshot()["pods"])
    assert (state.state, state.message) == (
        "progressing",
        "Waiting for deployment spec update to be observed...",
    )
    sim.sleep(0)
    synced = sim.get("deployment", "web")
    assert synced["status"]["observedGeneration"] == synced["metadata"]["generation"]
    assert len(sim.list_objects("replicaset")) == 2


def test_a_wait_right_after_the_write_waits_for_the_new_revision(sim):
    sim.apply(deployment(replicas=2))
    sim.wait_rollout("web", timeout=60)
    sim.set_image("web", "orchestra/model:v2", container="model")
    sim.wait_rollout("web", timeout=120)
    images = {p["image"] for p in pods_of(sim) if p["status"] != "Terminating"}
    assert images == {"orchestra/model:v2"}
    assert sim.now() > 1.0  # the wait ran the new pods' start, not the old status
