"""Where each section of each lab starts, and ``section()``, which brings the cluster there.

After a kernel restart in the middle of a lab the cluster is in another state than the
text expects (on the simulator it is a new cluster, at the lab's start), and the names the
earlier cells defined are gone. So each numbered section opens with one cell::

    import helpers.lab
    cluster = helpers.lab.section("05_roll_forward", 4)

It opens the lab (``start``) when this kernel has not, then brings the cluster to the state
a run from the top, with the instructors' answers, has at that point, as far as the
section's cells rely on it. ``SECTIONS`` holds those states: per lab and section a tuple of
steps (helpers/lab/steps.py), each an idempotent function on the shared Cluster API. In a
run from the top every step finds its state already there: the cell changes nothing, prints
nothing and leaves the cluster clock alone, so the outputs below it stay as committed.
"""

from __future__ import annotations

from helpers.errors import LabError
from helpers.lab import session
from helpers.lab.steps import (
    Change,
    absent,
    default_tolerations,
    env_unset,
    gateway_serving,
    image,
    no_node_selector,
    no_release,
    nodes_up,
    one_per_worker,
    present,
    probe_path,
    release_at,
    replicas,
    requests,
)

# The model as helpers.lab.start deploys it for labs 03 to 06 (PREREQUISITES).
SERVED = (
    present("Deployment", "model", "model-deployment.yaml"),
    present("Service", "model", "model-service.yaml"),
)
# Lab 04 breaks the model three ways and heals it each time; each section starts healed.
HEALTHY_V1 = (
    image("model", "v1"),
    env_unset("model", "MODEL_FAULT_CRASH_AT_START"),
    probe_path("model", "readinessProbe", "/readyz"),
    replicas("model", 3),
    nodes_up(),
)
NO_HPA = absent("HorizontalPodAutoscaler", "model")
NO_LONELY = absent("Pod", "lonely-model")
NO_CANARY = absent("Deployment", "model-canary")
DEPLOYED = present("Deployment", "model", "model-deployment.yaml")
# Lab 08: the model behind a ClusterIP Service (the gateway's own Service is the NodePort).
INSIDE = (DEPLOYED, present("Service", "model", "microservices/model-service.yaml"))

# lab -> section number -> the steps to its starting state, in order (objects that must go
# first, so an autoscaler left running does not undo the replicas set after it). A section
# with no steps only needs the lab open; sections 1 follow the lab's own start cell.
SECTIONS: dict[str, dict[int, tuple]] = {
    "00_setup": dict.fromkeys((3, 4, 5, 6), ()),
    "01_containers": dict.fromkeys(range(2, 8), ()),
    "02_deploy": {
        2: (NO_LONELY,),
        3: (NO_LONELY, DEPLOYED, replicas("model", 3)),
        4: (NO_LONELY, DEPLOYED, replicas("model", 3)),
        5: (NO_LONELY, DEPLOYED, replicas("model", 3)),
        6: (NO_LONELY, DEPLOYED, replicas("model", 4)),  # exercise 02-deploy-2 scaled it
    },
    "03_scale": {
        2: (*SERVED, NO_HPA, requests("model", cpu="100m"), replicas("model", 6)),
        3: (*SERVED, NO_HPA, requests("model", cpu="100m"), replicas("model", 6)),
        4: (*SERVED, NO_HPA, requests("model", cpu="50m"), replicas("model", 3)),
        5: (*SERVED, NO_HPA, requests("model", cpu="50m"), replicas("model", 3)),
    },
    "04_break": {
        2: (*SERVED, *HEALTHY_V1),
        3: (*SERVED, *HEALTHY_V1),
        4: (*SERVED, *HEALTHY_V1),
        5: (*SERVED, *HEALTHY_V1, default_tolerations("model")),
        6: (*SERVED, *HEALTHY_V1),
        7: (*SERVED, *HEALTHY_V1),
    },
    "05_roll_forward": {
        2: (*SERVED, NO_CANARY, image("model", "v1"), replicas("model", 3)),
        3: (*SERVED, NO_CANARY, image("model", "v1"), replicas("model", 3)),
        4: (*SERVED, NO_CANARY, image("model", "v2"), replicas("model", 3)),
        5: (),  # each rollout_experiment deploys afresh
        6: (*SERVED, image("model", "v2")),  # the history shows the rollout to v2
    },
    "06_scheduling": {
        2: (*SERVED, absent("Deployment", "model-spread"), no_node_selector("model")),
        3: (*SERVED, no_node_selector("model"), one_per_worker("model-spread", replicas=3)),
    },
    "08_microservices": {
        2: (
            *INSIDE,
            env_unset("model", "MODEL_TOKEN"),
            *(absent(k, "gateway") for k in ("Deployment", "Service", "ConfigMap")),
        ),
        3: (*INSIDE, gateway_serving(token=False)),
        4: (*INSIDE, image("model", "v1"), replicas("model", 3), gateway_serving(token=True)),
    },
    # Lab 07's model is helm release "model" of cluster/chart; its objects are helm's.
    "07_helm": {
        2: (no_release("model"), *(absent(k, "model") for k in ("Deployment", "Service"))),
        3: (release_at("model", "v1", 3),),
        4: (release_at("model", "v2", 4),),
        5: (release_at("model", "v2", 4),),
        6: (release_at("model", "v2", 2),),  # section 5 moved it to the classroom values
    },
}


def steps_of(lab: str, number: int) -> tuple:
    """The steps to section ``number`` of ``lab``; LabError naming what exists otherwise."""
    if lab not in SECTIONS:
        raise LabError(
            f"There is no lab {lab!r} with sections.",
            f"Use the notebook's name, one of: {', '.join(SECTIONS)}.",
        )
    numbers = SECTIONS[lab]
    if not isinstance(number, int) or isinstance(number, bool) or number not in numbers:
        raise LabError(
            f"Lab {lab} has no section {number!r} to start from.",
            f"Pass one of {', '.join(map(str, sorted(numbers)))} (the number in the section's "
            f"heading); before section {min(numbers)}, run the lab from its first cell.",
        )
    return numbers[number]


def reconcile(cluster, steps, label: str = "this section") -> list[Change]:
    """Run ``steps`` on ``cluster``, print one line per change, wait for the rollouts.

    Returns the changes (``[]``: the cluster was already there, and nothing was printed).
    """
    changes: list[Change] = []
    for step in steps:
        for change in step(cluster):
            print(f"{label} starts from {change.want}: {change.done} ({change.found})")
            changes.append(change)
    for deployment in dict.fromkeys(c.settle for c in changes if c.settle):
        cluster.wait_rollout(deployment, timeout=session.SETTLE_S)
        want = cluster.get("Deployment", deployment)["spec"].get("replicas", 1)
        cluster.wait(
            lambda c, d=deployment, n=want: _settled(c, d, n),
            timeout=session.SETTLE_S,
            what=f"deployment/{deployment}'s {want} pods to be Ready, and no other",
        )
    return changes


def _settled(cluster, deployment: str, want: int) -> bool:
    # A scale-down completes the rollout at once; the removed pods still hold their
    # requests (and sit in cluster.pods()) until they have terminated.
    pods = cluster.deployment_pods(deployment)
    return len(pods) == want and all(p["ready"] and p["status"] == "Running" for p in pods)


def section(lab: str, number: int):
    """The lab's cluster, brought to the state section ``number`` starts from.

    If this kernel has ``lab`` open (``helpers.lab.start(lab)`` ran), its cluster is
    reconciled: each step of ``SECTIONS[lab][number]`` checks one thing (the model's image
    or replicas, its requests, an object that must be there or gone, the nodes) and puts it
    right only where it differs, printing one line per change, e.g. ``section 4 starts from
    deployment/model at v2: rolled it there (it ran v1)``. Otherwise (a kernel restarted,
    or another lab open) it calls ``helpers.lab.start(lab)`` first. In a run from the top
    the cluster is already there: nothing changes, nothing is printed, the clock stays.

    Args:
        lab: the notebook's name, e.g. "05_roll_forward".
        number: the section's number in the notebook's headings (``## 4. ...``).

    Returns:
        The cluster (a ``helpers.core.api.Cluster``), as ``start`` returns it.

    Raises:
        LabError: an unknown lab, or a section without a starting state here.
        RolloutStuck, LabTimeout: the cluster could not be brought there (a rollout that
            cannot finish, a node that does not come back within 300 s).

    Example:
        >>> cluster = helpers.lab.section("05_roll_forward", 4)   # after a kernel restart
        section 4 starts from deployment/model at v2: rolled it there (it ran v1)
    """
    steps = steps_of(lab, number)
    cluster = session._current["cluster"]
    if cluster is None or session._current.get("lab") != lab:
        cluster = session.start(lab)
    reconcile(cluster, steps, f"section {number}")
    return cluster
