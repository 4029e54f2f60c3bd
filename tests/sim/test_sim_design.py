"""The simulator's design, pinned: components get a Context, never the cluster; the kubelet
alone writes a pod's runtime status; the API server is an object a front end can call.

As in kube-controller-manager, where each controller receives informers, a client and an
event recorder, and in the kubelet, the only writer of a pod's status fields it reports.
"""

import ast
import gc
import inspect
import sys
import types
from pathlib import Path

import pytest

from helpers.errors import NotFound
from helpers.sim import SimCluster
from helpers.sim.context import Context
from helpers.sim.dataplane import DataPlane
from helpers.sim.deployments import DeploymentController
from helpers.sim.hpa import HPAController
from helpers.sim.kubelet import Kubelet
from helpers.sim.nodes import NodeLifecycle
from helpers.sim.pods import Pod
from helpers.sim.prober import Prober
from helpers.sim.replicasets import ReplicaSetController
from helpers.sim.scheduler import Scheduler
from helpers.sim.services import EndpointsController
from tests.manifests import MANIFESTS, deployment

SIM = Path(__file__).resolve().parents[2] / "helpers" / "sim"
COMPONENTS = (
    Scheduler,
    Kubelet,
    Prober,
    NodeLifecycle,
    ReplicaSetController,
    DeploymentController,
    EndpointsController,
    HPAController,
    DataPlane,
)
# What the kubelet reports about a pod (phase, container state, restarts, readiness).
RUNTIME_STATUS = {
    "phase", "cstate", "reason", "message", "exit_code", "started", "ready", "ready_since",
    "restarts", "run_started", "finished_at", "last_state", "server", "node_ready",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, lazy and TYPE_CHECKING imports included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_component_module_imports_the_cluster():
    # __main__.py files are entry points that start a whole cluster, not components.
    skip = ("cluster.py", "__init__.py", "__main__.py")
    modules = [p for p in SIM.rglob("*.py") if p.name not in skip]
    assert len(modules) > 20
    for path in modules:
        bad = {"helpers.sim.cluster", "helpers.sim.SimCluster"} & imported_modules(path)
        assert not bad, f"{path.relative_to(SIM)} imports {bad}"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_each_component_is_built_from_a_context(component):
    params = list(inspect.signature(component.__init__).parameters.values())[1:]
    assert params[0].name == "ctx"
    assert params[0].annotation in (Context, "Context")
    # The context plus the one or two collaborators it needs (and its own settings).
    collaborators = [p for p in params[1:] if p.default is inspect.Parameter.empty]
    assert len(collaborators) <= 2


def reaches(root, target) -> bool:
    """Whether ``target`` is reachable from ``root`` through attributes, items and closures
    (not through modules, classes or a function's globals: those reach everything)."""
    seen, stack = set(), [root]
    while stack:
        obj = stack.pop()
        if obj is target:
            return True
        if id(obj) in seen or isinstance(obj, types.ModuleType | type):
            continue
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            stack.extend(c.cell_contents for c in obj.__closure__ or ())
            continue
        stack.extend(gc.get_referents(obj))
    return False


def test_no_component_holds_the_cluster(cluster):
    cluster.apply(MANIFESTS)
    cluster.wait_rollout("model")
    with cluster.traffic("model", rps=50):  # routers, proxy views and metrics exist now
        cluster.sleep(30)
    kubelet = cluster.kubelet
    parts = [cluster.api, cluster.store, cluster.clock, cluster.scheduler, kubelet]
    parts += [kubelet.prober, kubelet.images, cluster.node_lifecycle, cluster.replicasets]
    parts += [cluster.deployments, cluster.endpoints_ctl, cluster.dataplane, cluster._hpa]
    assert cluster.dataplane.metrics is not None
    for part in parts:
        assert not reaches(part, cluster), f"{type(part).__name__} can reach the SimCluster"
    assert reaches(cluster, cluster.kubelet.prober)  # the walk does find what is there


def test_only_the_kubelet_writes_pod_runtime_status(monkeypatch):
    writers: dict[str, set[str]] = {}

    def guarded(pod, name, value):
        if name in RUNTIME_STATUS:
            frame = sys._getframe(1)
            if (
                frame.f_globals["__name__"] == "helpers.sim.pods"
                and frame.f_code.co_name != "__init__"
            ):
                frame = frame.f_back  # a Pod helper (remember_exit): whoever called it
            writers.setdefault(name, set()).add(frame.f_globals["__name__"])
        object.__setattr__(pod, name, value)

    monkeypatch.setattr(Pod, "__setattr__", guarded)
    sim = SimCluster(seed=4, workers=2)
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.apply(MANIFESTS / "model-pdb.yaml")
    crash = [{"name": "MODEL_FAULT_CRASH_AT_START", "value": "1"}]
    sim.apply(deployment("crash", replicas=1, container={"env": crash}))
    sim.apply(deployment("pull", replicas=1, image="orchestra/model:v9"))
    live = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 2}
    sim.apply(deployment("v3", replicas=1, image="orchestra/model:v3",
                         container={"livenessProbe": live, "startupProbe": {**live, "failureThreshold": 30}}))  # fmt: skip
    sim.wait_rollout("model")
    sim.set_image("model", "orchestra/model:v2")
    sim.wait_rollout("model")
    sim.stop_node("orchestra-worker")
    sim.sleep(400)  # Unknown, pods not Ready, then evicted after 300 s
    sim.start_node("orchestra-worker")
    sim.sleep(30)
    sim.drain("orchestra-worker2", timeout=300, delete_emptydir_data=True)
    sim.sleep(60)
    # helpers.sim.pods: Pod.__init__ (a new pod's initial status).
    others = {f: w - {"helpers.sim.kubelet", "helpers.sim.pods"} for f, w in writers.items()}
    # The one exception, as in Kubernetes: the node controller marks the pods of a lost
    # node not Ready (MarkPodsNotReady), a status update through the API server.
    assert {f: w for f, w in others.items() if w} == {"node_ready": {"helpers.sim.apiserver"}}
    # Written at all (else the guard proves nothing).
    assert {"phase", "cstate", "ready", "restarts", "started", "last_state"} <= set(writers)
    assert writers["restarts"] == writers["ready"] == {"helpers.sim.pods", "helpers.sim.kubelet"}


def test_the_api_server_serves_a_front_end_alone(sim):
    api = sim.api
    assert api.apply(deployment(replicas=2)) == ["deployment/web"]
    api.apply(
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
         "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}
    )  # fmt: skip
    sim.wait_rollout("web")
    pods = api.list_objects("Pod", "default", "app=web")
    assert len(pods) == 2 and api.list_objects("Pod", "default", "app=other") == []
    name = pods[0]["metadata"]["name"]
    assert api.evict(name) is False  # the budget refuses (HTTP 429)
    api.patch("Deployment", "web", {"spec": {"replicas": 3}})
    assert api.get("Deployment", "web")["metadata"]["generation"] == 2
    api.update_status("PodDisruptionBudget", "web", "default", {"note": "x"})
    assert api.store.find("PodDisruptionBudget", "web", "default").status == {"note": "x"}
    api.delete("Pod", name)
    assert api.get("Pod", name)["metadata"]["deletionGracePeriodSeconds"] == 30
    sim.sleep(31)
    with pytest.raises(NotFound):
        api.get("Pod", name)
    assert sim.get("Deployment", "web") == api.get("Deployment", "web")  # SimCluster delegates
