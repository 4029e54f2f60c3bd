"""The simulated scheduler: filters, spreading and FailedScheduling messages.

https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/
"""

from collections import Counter

from helpers.sim import SimCluster
from tests.manifests import deployment
from tests.sim.simkit import pods_of

CP = "orchestra-control-plane"


def test_replicas_spread_over_workers_and_avoid_the_control_plane(sim):
    sim.apply(deployment(replicas=4))
    sim.wait_rollout("web")
    nodes = Counter(p["node"] for p in pods_of(sim))
    assert nodes == {"orchestra-worker": 2, "orchestra-worker2": 2}


def test_insufficient_cpu_message_is_the_schedulers(sim):
    big = {"resources": {"requests": {"cpu": "3"}}}
    sim.apply(deployment(replicas=1, container=big))
    sim.sleep(1)
    pod = pods_of(sim)[0]
    assert pod["status"] == "Pending" and pod["node"] is None
    (event,) = [e for e in sim.event_rows() if e["reason"] == "FailedScheduling"]
    assert event["type"] == "Warning"
    assert event["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        "no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is "
        "not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    cond = sim.get("pod", pod["name"])["status"]["conditions"][0]
    assert cond["type"] == "PodScheduled" and cond["status"] == "False"
    assert cond["reason"] == "Unschedulable"


def test_requests_fill_nodes_then_pods_wait(sim):
    """Requests count against allocatable (2 CPU per worker): 5 x 700m fit 4, the fifth waits."""
    sim.apply(deployment(replicas=5, container={"resources": {"requests": {"cpu": "700m"}}}))
    sim.sleep(5)
    statuses = Counter(p["status"] for p in pods_of(sim))
    assert statuses == {"Running": 4, "Pending": 1}
    nodes = {n["name"]: n for n in sim.snapshot()["nodes"]}
    assert nodes["orchestra-worker"]["cpu_requested"] == 1.4


def test_pending_pod_is_scheduled_when_room_appears(sim):
    sim.apply(deployment(replicas=5, container={"resources": {"requests": {"cpu": "700m"}}}))
    sim.sleep(5)
    sim.scale("web", 4)
    sim.apply(
        deployment("other", replicas=1, container={"resources": {"requests": {"cpu": "500m"}}})
    )
    sim.sleep(5)
    assert all(p["status"] == "Running" for p in pods_of(sim, "other"))


def test_a_pod_that_failed_scheduling_is_retried_when_a_pod_leaves(sim):
    """An unschedulable pod goes back to the active queue on cluster events (a pod deleted),
    not only on the 5-minute flush of the unschedulable queue.

    https://kubernetes.io/docs/concepts/scheduling-eviction/pod-scheduling-readiness/
    """
    sim.apply(deployment(replicas=5, container={"resources": {"requests": {"cpu": "700m"}}}))
    sim.sleep(5)
    sim.apply(
        deployment("other", replicas=1, container={"resources": {"requests": {"cpu": "900m"}}})
    )
    sim.sleep(5)
    assert [p["status"] for p in pods_of(sim, "other")] == ["Pending"]
    freed_at = sim.now()
    sim.scale("web", 2)  # pods terminate (grace period) and free a node's worth of cores
    sim.wait(
        lambda c: all(p["status"] == "Running" for p in pods_of(c, "other")),
        60,
        "the pending pod to start",
    )
    assert sim.now() - freed_at < 60  # well before the 300 s periodic flush


def test_node_selector_and_tolerations_can_target_the_control_plane(sim):
    pod = {
        "nodeSelector": {"node-role.kubernetes.io/control-plane": ""},
        "tolerations": [
            {
                "key": "node-role.kubernetes.io/control-plane",
                "operator": "Exists",
                "effect": "NoSchedule",
            }
        ],
    }
    sim.apply(deployment(replicas=2, pod=pod))
    sim.wait_rollout("web")
    assert {p["node"] for p in pods_of(sim)} == {CP}


def test_node_selector_without_a_match_explains_itself(sim):
    sim.apply(deployment(replicas=1, pod={"nodeSelector": {"disk": "ssd"}}))
    sim.sleep(1)
    msg = next(e["message"] for e in sim.event_rows() if e["reason"] == "FailedScheduling")
    assert "2 node(s) didn't match Pod's node affinity/selector" in msg


def test_required_node_affinity_is_honoured(sim):
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["orchestra-worker2"]}]}
    ]}}}  # fmt: skip
    sim.apply(deployment(replicas=3, pod={"affinity": affinity}))
    sim.wait_rollout("web")
    assert {p["node"] for p in pods_of(sim)} == {"orchestra-worker2"}


def test_cordon_sets_unschedulable_and_the_taint(sim):
    """https://kubernetes.io/docs/reference/kubectl/generated/kubectl_cordon/"""
    sim.cordon("orchestra-worker")
    node = sim.get("node", "orchestra-worker")
    assert node["spec"]["unschedulable"] is True
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}.items() <= node[
        "spec"
    ]["taints"][0].items()
    sim.apply(deployment(replicas=3))
    sim.wait_rollout("web")
    assert {p["node"] for p in pods_of(sim)} == {"orchestra-worker2"}
    sim.uncordon("orchestra-worker")
    assert sim.nodes().set_index("name").loc["orchestra-worker", "schedulable"]
    assert not sim.get("node", "orchestra-worker")["spec"].get("taints")


def test_at_most_110_pods_per_node():
    sim = SimCluster(seed=0, workers=1, node_cpu=64, node_memory="256Gi")
    sim.apply(deployment(replicas=112))
    sim.sleep(5)
    statuses = Counter(p["status"] for p in pods_of(sim))
    assert statuses == {"Running": 110, "Pending": 2}
    msg = next(e["message"] for e in sim.event_rows() if e["reason"] == "FailedScheduling")
    assert "1 Too many pods" in msg


ANTI = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
    {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}
]}}  # fmt: skip


def test_required_pod_anti_affinity_allows_one_replica_per_node(sim):
    """https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity"""
    sim.apply(deployment(replicas=3, pod={"affinity": ANTI}))
    sim.sleep(5)
    pods = pods_of(sim)
    running = [p for p in pods if p["status"] == "Running"]
    assert len(running) == 2 and len({p["node"] for p in running}) == 2
    msg = next(e["message"] for e in sim.event_rows() if e["reason"] == "FailedScheduling")
    assert "2 node(s) didn't match pod anti-affinity rules" in msg
    assert "1 node(s) had untolerated taint" in msg


def test_topology_spread_counts_the_control_plane_domain(sim):
    """Hostname spreading with maxSkew 1 (DoNotSchedule): the tainted control plane is a
    domain with 0 pods (nodeTaintsPolicy: Ignore), so each worker takes one pod only.

    https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
    """
    spread = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "web"}}}]  # fmt: skip
    sim.apply(deployment(replicas=3, pod={"topologySpreadConstraints": spread}))
    sim.sleep(5)
    statuses = Counter(p["status"] for p in pods_of(sim))
    assert statuses == {"Running": 2, "Pending": 1}
    msg = next(e["message"] for e in sim.event_rows() if e["reason"] == "FailedScheduling")
    assert "2 node(s) didn't match pod topology spread constraints" in msg


def test_anti_affinity_counts_terminating_pods_so_a_replacement_waits_for_the_old_pod(sim):
    """The scheduler keeps a pod in its node's view until it is deleted, and the
    interpodaffinity plugin does not skip pods with a deletionTimestamp: a replacement
    stays Pending while the pod it replaces is still Terminating (kubernetes v1.36
    pkg/scheduler/framework/plugins/interpodaffinity; kubernetes/kubernetes#111793), while
    topology spreading skips them (plugins/podtopologyspread/common.go).
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
    """
    # One pod per worker; a 30 s preStop keeps the deleted pod Terminating for 30 s.
    pre_stop = {"lifecycle": {"preStop": {"sleep": {"seconds": 30}}}}
    sim.apply(deployment(replicas=2, pod={"affinity": ANTI}, container=pre_stop))
    sim.sleep(10)
    victim = next(p for p in pods_of(sim) if p["status"] == "Running")
    sim.delete("Pod", victim["name"])
    sim.sleep(5)
    pods = {p["name"]: p for p in pods_of(sim)}
    assert pods[victim["name"]]["status"] == "Terminating"
    (replacement,) = [p for n, p in pods.items() if n != victim["name"] and not p["node"]]
    assert replacement["status"] == "Pending"
    msg = [e["message"] for e in sim.event_rows() if e["reason"] == "FailedScheduling"][-1]
    assert "2 node(s) didn't match pod anti-affinity rules" in msg
    sim.sleep(40)  # the old pod is gone: the next retry places the replacement on its node
    pods = {p["name"]: p for p in pods_of(sim)}
    assert victim["name"] not in pods
    assert pods[replacement["name"]]["node"] == victim["node"]
    assert pods[replacement["name"]]["status"] == "Running"


def test_topology_spread_skips_terminating_pods(sim):
    spread = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "web"}}}]  # fmt: skip
    pre_stop = {"lifecycle": {"preStop": {"sleep": {"seconds": 30}}}}
    sim.apply(deployment(replicas=2, pod={"topologySpreadConstraints": spread}, container=pre_stop))
    sim.sleep(10)
    before = {p["name"] for p in pods_of(sim)}
    victim = next(p for p in pods_of(sim) if p["status"] == "Running")
    sim.delete("Pod", victim["name"])
    sim.sleep(10)
    pods = {p["name"]: p for p in pods_of(sim)}
    assert pods[victim["name"]]["status"] == "Terminating"
    (replacement,) = [p for n, p in pods.items() if n not in before]
    # Not counting the Terminating pod, the victim's node holds 0 matching pods: the
    # replacement runs there at once (counting it, maxSkew 1 would leave it Pending).
    assert replacement["node"] == victim["node"] and replacement["status"] == "Running"
