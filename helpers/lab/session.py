"""A lab's session: open its cluster, bring it to the lab's starting state, clean up.

Everything here is a few lines on top of the shared cluster API, so a notebook cell stays
one to three calls and runs unchanged on the simulator and on kind.

Example:
    >>> cluster = helpers.lab.start("03_scale")       # connect, reset, deploy the model
    >>> helpers.lab.kubectl("scale deployment/model --replicas=5")
    >>> helpers.lab.cleanup(cluster)
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from helpers.core import helmrelease
from helpers.core.paths import MANIFESTS, REPO, shown
from helpers.errors import LabError, NotFound
from helpers.lab import kubectl_runner
from helpers.lab.nodes import LAB_NODE_LABELS, label_node
from helpers.lab.server import RUNNING
from helpers.lab.speed import resolve

# What a lab needs before its first cell of its own: the model Deployment and Service.
PREREQUISITES = {
    "03_scale": ["model-deployment.yaml", "model-service.yaml"],
    "04_break": ["model-deployment.yaml", "model-service.yaml"],
    "05_roll_forward": ["model-deployment.yaml", "model-service.yaml"],
    "06_scheduling": ["model-deployment.yaml", "model-service.yaml"],
    # Lab 08: the model behind a ClusterIP Service; the gateway takes NodePort 30080.
    "08_microservices": ["model-deployment.yaml", "microservices/model-service.yaml"],
}
# Objects a lab may leave behind; cleanup deletes them so every lab starts the same.
LAB_OBJECTS = [
    ("HorizontalPodAutoscaler", "model"),
    ("PodDisruptionBudget", "model"),
    ("Deployment", "model-canary"),
    ("Deployment", "model-spread"),
    ("Deployment", "model"),
    ("Service", "model"),
    ("Pod", "lonely-model"),
    ("Deployment", "gateway"),
    ("Service", "gateway"),
    ("ConfigMap", "gateway"),
    ("Secret", "model-token"),
]
# Helm releases a lab may leave behind (lab 07); reset deletes their records too, so the
# next `helm install model` does not find the name in use.
LAB_RELEASES = ("model",)
# Pods of these apps are the labs' own; reset waits until none is left.
LAB_APPS = ("model", "model-spread", "lonely", "gateway")
# 300 s: a real cluster needs up to the pods' 30 s grace period plus image and probe time.
SETTLE_S = 300.0

# The cluster the last ``start`` opened, and its lab (helpers.lab.section reuses it).
_current = {"cluster": None, "lab": None}


def current():
    """The cluster the last ``start`` opened (``kubectl`` uses it by default)."""
    if _current["cluster"] is None:
        raise LabError(
            "No lab cluster is open yet.", 'Run cluster = helpers.lab.start("00_setup").'
        )
    return _current["cluster"]


def start(lab: str, backend: str | None = None, speed: float | str | None = None):
    """Connect, remove leftovers of earlier runs, apply this lab's prerequisites.

    On the simulator the cluster clock runs in realtime at the lab's own speed factor
    (``helpers.lab.speed.LAB_SPEEDS``: each long step takes seconds, and a ClusterView
    animates while the cell runs), except where outputs must not depend on the machine:
    ``speed``, else ``LAB_SPEED``, else ``CI`` decide first (helpers/lab/speed.py), and
    ``make labs``, ``make nbval``, pytest and ``make test-kind`` set ``LAB_SPEED=virtual``.
    Both modes give the same results: waits return at the same cluster time. kind ignores
    the speed. Opening a lab closes the cluster the previous ``start`` opened.

    Args:
        lab: the notebook's name, e.g. "03_scale".
        backend: None (LAB_BACKEND, else kind when reachable, else the simulator), "sim"
            or "kind".
        speed: simulator only: a factor (10: ten cluster seconds per second; 1: real time)
            or "virtual" (instant, identical every run); None: as above.

    Example:
        >>> cluster = helpers.lab.start("03_scale", speed="virtual")
        >>> cluster.backend
        'sim'
    """
    import helpers

    factor = resolve(lab, speed)
    previous = _current["cluster"]
    if previous is not None:
        previous.close()  # a re-run lab: its old simulator's clock thread stops
    cluster = helpers.connect(backend, realtime=factor is not None, speed=factor or 1.0)
    _current["cluster"], _current["lab"] = cluster, lab
    shared = kubectl_runner.shared_kubeconfig(cluster)  # make lab: a terminal's kubectl too
    if shared is not None:
        print(f"kubectl in a terminal sees this cluster after: export KUBECONFIG={shared}")
    reset(cluster)
    files = PREREQUISITES.get(lab, [])
    for name in files:
        cluster.apply(MANIFESTS / name)
    if files:
        cluster.wait_rollout("model", timeout=SETTLE_S)
    return cluster


def reset(cluster) -> None:
    """Delete the lab objects, start stopped workers, uncordon nodes; wait for calm.

    Example:
        >>> helpers.lab.reset(cluster)
    """
    for node in cluster.snapshot()["nodes"]:
        if node["role"] == "worker" and node["ready"] != "True":
            with contextlib.suppress(LabError):  # not stopped by us: leave it be
                cluster.start_node(node["name"])
        if not node["schedulable"]:
            cluster.uncordon(node["name"])
    for node in cluster.snapshot()["nodes"]:
        own = cluster.get("Node", node["name"], namespace=None)["metadata"].get("labels") or {}
        if any(key in own for key in LAB_NODE_LABELS):
            label_node(cluster, node["name"], **dict.fromkeys(LAB_NODE_LABELS))
    for kind, name in LAB_OBJECTS:
        with contextlib.suppress(NotFound):  # absent already: nothing to clean
            cluster.delete(kind, name)
    for release in LAB_RELEASES:  # what helm uninstall deletes after the objects
        for record in helmrelease.record_names(cluster, release):
            with contextlib.suppress(NotFound):
                cluster.delete("Secret", record)
    cluster.wait(
        lambda c: (
            not any(p["labels"].get("app") in LAB_APPS for p in c.snapshot()["pods"])
            and all(n["ready"] == "True" for n in c.snapshot()["nodes"])
            and not any(object_exists(c, kind, name) for kind, name in LAB_OBJECTS)
        ),
        timeout=SETTLE_S,
        what="the lab objects and pods of earlier runs to go and every node to be Ready",
    )


def object_exists(cluster, kind: str, name: str) -> bool:
    """``kind/name`` exists now (in the API: it may still be terminating)."""
    # A delete returns before the object is gone (finalizers, the garbage collector, the
    # Service's port allocations): the next lab's apply must not meet the old one.
    try:
        cluster.get(kind, name)
    except NotFound:
        return False
    return True


def cleanup(cluster=None) -> str:
    """End of a lab: stop its live views, delete what it made, close the connection.

    Safe to run twice, and on its own after a kernel restart: without ``cluster`` it cleans
    the lab cluster this kernel opened, or else connects as ``start`` would (on kind that
    removes what an earlier kernel left; a new simulator has nothing to remove).

    Example:
        >>> helpers.lab.cleanup(cluster)
        'cleaned up: no model objects left'
    """
    import sys

    if cluster is None:
        cluster = _current["cluster"]
    if cluster is None:
        import helpers

        cluster = helpers.connect(None, realtime=False)
    # Only when a view was made in this kernel is its module loaded; importing it here
    # would load the widget stack for nothing.
    views = sys.modules.get("helpers.views.clusterview")
    if views is not None:
        views.stop_views(cluster)
    for server in list(RUNNING):
        server.stop()
    reset(cluster)
    cluster.close()
    if _current["cluster"] is cluster:
        _current["cluster"] = _current["lab"] = None
    return "cleaned up: no model objects left"


def manifest(name: str) -> Path:
    """The path of a course manifest, e.g. ``manifest("model-hpa.yaml")``."""
    path = MANIFESTS / name
    if not path.exists():
        raise NotFound(f"No manifest {name} in cluster/manifests/.", "See the folder's files.")
    return path


def show_file(path, start: int | None = None, stop: int | None = None, grep: str = ""):
    """Show a repository file (or lines ``start``..``stop``, 1-based) as highlighted code.

    Args:
        path: relative to the repository root, e.g. "cluster/model/Dockerfile"; or a Path
            such as ``helpers.lab.workdir() / "model-hpa.yaml"`` (shown relative to the
            notebook's folder, so no machine's path appears in the output).
        grep: keep only the lines from the first one containing this text.

    Example:
        >>> helpers.lab.show_file("cluster/model/Dockerfile", grep="FROM")
    """
    from IPython.display import Markdown

    full = REPO / path
    if not full.is_file():
        raise NotFound(f"No file {path} in the repository.", "Check the path from the repo root.")
    lines = full.read_text().splitlines()
    if grep:
        first = next((i for i, line in enumerate(lines) if grep in line), 0)
        lines = lines[first:]
        start = start or 1
    chunk = lines[(start or 1) - 1 : stop]
    language = {".py": "python", ".yaml": "yaml", ".yml": "yaml"}.get(full.suffix, "dockerfile")
    return Markdown(
        f"`{shown(full, fallback=path)}`\n\n```{language}\n" + "\n".join(chunk) + "\n```"
    )
