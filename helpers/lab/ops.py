"""Small cluster edits the labs make, each the twin of one kubectl command.

``set_env`` is `kubectl set env`, ``set_probe_path`` a one-field `kubectl patch`,
``set_tolerations`` the classroom shortcut for node-loss timing; ``room_for`` and
``recover`` read the cluster to keep notebook cells one line.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from helpers.core.paths import MANIFESTS
from helpers.errors import LabError, NotFound

# The two taints the node lifecycle controller puts on a lost node (DefaultTolerationSeconds
# gives every pod 300 s for each; kubernetes.io/docs/concepts/scheduling-eviction/
# taint-and-toleration/#taint-based-evictions).
NODE_LOSS_TAINTS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")


def read_manifest(name: str) -> dict:
    """A course manifest as a dict you can edit, then ``cluster.apply(it)``.

    Example:
        >>> dep = helpers.lab.read_manifest("model-deployment.yaml")
        >>> dep["spec"]["replicas"]
        3
    """
    path = MANIFESTS / name
    if not path.is_file():
        raise NotFound(f"No manifest {name} in cluster/manifests/.", "See that folder's files.")
    return yaml.safe_load(path.read_text())


# Starting files of exercises that write a manifest of their own: name -> (the course
# manifest it starts from, the first line saying what it is for).
STARTERS = {
    "model-canary.yaml": (
        "model-deployment.yaml",
        "# Exercise 05-roll-1: a copy of model-deployment.yaml; make it deployment/model-canary.",
    ),
    "model-fixed.yaml": (
        "naive/model-naive.yaml",
        "# Exercise 05-roll-3: a copy of naive/model-naive.yaml; fix it so a rollout loses nothing.",
    ),
    "model-gpu.yaml": (
        "model-deployment.yaml",
        "# Exercise 06-sched-1: a copy of model-deployment.yaml; run its pods on the GPU node only.",
    ),
    "model-spread.yaml": (
        "scheduling/model-spread.yaml",
        "# Exercise 06-sched-2: a copy of scheduling/model-spread.yaml; let it use the third node.",
    ),
    "gateway-config.yaml": (
        "microservices/gateway-config.yaml",
        "# Exercise 08-ms-1: microservices/gateway-config.yaml; point MODEL_URL at the model.",
    ),
    "gateway.yaml": (
        "microservices/gateway-deployment.yaml",
        "# Exercise 08-ms-2: microservices/gateway-deployment.yaml; give it the model's token.",
    ),
}
# Starting files that leave the exercise's answer out: name -> (course text, starter text).
STARTER_BLANKS = {
    "gateway-config.yaml": ('MODEL_URL: "http://model"', 'MODEL_URL: "http://CHANGE-ME"'),
}


def starter(name: str) -> dict:
    """An exercise's starting file as ``workdir()`` first copies it, as a dict to apply,
    whatever your own copy holds now (so a cell that shows the starting state shows it
    on every run).

    Raises:
        NotFound: ``name`` is not one of the exercises' starting files (``STARTERS``).

    Example:
        >>> cluster.apply(helpers.lab.starter("gateway-config.yaml"))  # the placeholder URL
    """
    if name not in STARTERS:
        raise NotFound(
            f"No exercise starts from {name}.", f"The starting files are: {', '.join(STARTERS)}."
        )
    text = (MANIFESTS / STARTERS[name][0]).read_text()
    if name in STARTER_BLANKS:
        text = text.replace(*STARTER_BLANKS[name])
    return yaml.safe_load(text)


def workdir(folder: str | Path = "work") -> Path:
    """Your own copy of the course's manifests, to edit as YAML and apply: ``work/`` beside
    the notebook. A file missing there is copied from cluster/manifests/ (and the exercises'
    starting files, ``STARTERS``, from the manifest each starts from); a file already there
    is yours and is never overwritten (delete it to get the course's version back).

    Returns the folder's absolute path. Raises LabError if it cannot be written.

    Example:
        >>> work = helpers.lab.workdir()
        >>> cluster.diff(work / "model-deployment.yaml")   # kubectl diff -f work/model-deployment.yaml
        >>> cluster.apply(work / "model-deployment.yaml")  # kubectl apply -f work/model-deployment.yaml
    """
    out = Path(folder).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        for source in sorted(MANIFESTS.glob("*.yaml")):
            target = out / source.name
            if not target.exists():
                shutil.copyfile(source, target)
        for name, (source, first_line) in STARTERS.items():
            target = out / name
            if not target.exists():
                text = (MANIFESTS / source).read_text()
                if name in STARTER_BLANKS:
                    text = text.replace(*STARTER_BLANKS[name])
                target.write_text(f"{first_line}\n{text}")  # starter(name), with comments
    except OSError as err:
        raise LabError(
            f"Cannot write the working folder {out}: {err.strerror}.",
            "Run the notebook from a folder you can write to (make lab opens my-labs/).",
        ) from None
    return out


def _containers(cluster, deployment: str) -> list[dict]:
    dep = cluster.get("Deployment", deployment)
    return copy.deepcopy(dep["spec"]["template"]["spec"]["containers"])


def _put(cluster, deployment: str, pod_spec: dict) -> None:
    cluster.patch("Deployment", deployment, {"spec": {"template": {"spec": pod_spec}}})


def set_env(cluster, deployment: str, **env) -> None:
    """Set (value) or remove (None) environment variables of the first container.

    Example:
        >>> helpers.lab.set_env(cluster, "model", MODEL_FAULT_CRASH_AT_START="1")
        >>> helpers.lab.set_env(cluster, "model", MODEL_FAULT_CRASH_AT_START=None)
    """
    containers = _containers(cluster, deployment)
    current = [e for e in containers[0].get("env") or [] if e["name"] not in env]
    current += [{"name": k, "value": str(v)} for k, v in env.items() if v is not None]
    containers[0]["env"] = current
    _put(cluster, deployment, {"containers": containers})


def set_probe_path(cluster, deployment: str, probe: str, path: str) -> None:
    """Point a probe ("readinessProbe", "livenessProbe", ...) at another HTTP path.

    Example:
        >>> helpers.lab.set_probe_path(cluster, "model", "readinessProbe", "/ready")
    """
    containers = _containers(cluster, deployment)
    if probe not in containers[0]:
        raise LabError(f"deployment/{deployment} has no {probe}.", "Apply the course manifest.")
    containers[0][probe]["httpGet"]["path"] = path
    _put(cluster, deployment, {"containers": containers})


def set_tolerations(cluster, deployment: str, seconds: int | None) -> None:
    """Tolerate a lost node for ``seconds`` instead of the default 300 (None: default).

    Example:
        >>> helpers.lab.set_tolerations(cluster, "model", 30)
    """
    spec = cluster.get("Deployment", deployment)["spec"]["template"]["spec"]
    keep = [t for t in spec.get("tolerations") or [] if t.get("key") not in NODE_LOSS_TAINTS]
    if seconds is not None:
        keep += [
            {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
            for key in NODE_LOSS_TAINTS
        ]
    _put(cluster, deployment, {"tolerations": keep or None})


def room_for(cluster, cpu: float, memory: int) -> int:
    """How many more pods requesting ``cpu`` cores and ``memory`` bytes fit on the workers.

    Example:
        >>> helpers.lab.room_for(cluster, cpu=0.1, memory=128 * 2**20)
        31
    """
    total = 0
    for node in cluster.snapshot()["nodes"]:
        if node["role"] != "worker" or not node["schedulable"] or node["ready"] != "True":
            continue
        by_cpu = (node["cpu_allocatable"] - node["cpu_requested"] + 1e-9) // cpu
        by_memory = (node["memory_allocatable"] - node["memory_requested"]) // memory
        total += int(max(0, min(by_cpu, by_memory)))
    return total


def recover(
    cluster, deployment: str, since: float, away_from: str | None = None, timeout: float = 900
) -> float:
    """Wait until every replica of ``deployment`` is Ready again; seconds since ``since``.

    Args:
        away_from: a lost node: count only pods Ready on other nodes (a lost node's pods
            look Ready until the node lifecycle controller notices, 40-50 s later).

    Example:
        >>> t0 = cluster.now(); cluster.delete_pod(name)
        >>> helpers.lab.recover(cluster, "model", since=t0)
        4.5
    """

    def whole(c) -> bool:
        dep = c.get("Deployment", deployment)
        want = dep["spec"].get("replicas", 1)
        ready = [
            p
            for p in c.snapshot()["pods"]
            if p.get("owner") == deployment
            and p["ready"]
            and p["status"] != "Terminating"  # a killed pod stays Ready while it shuts down
            and p["node"] != away_from
        ]
        if away_from is not None:
            return len(ready) >= want
        return len(ready) >= want

    cluster.wait(whole, timeout=timeout, what=f"every replica of deployment/{deployment} Ready")
    return round(cluster.now() - since, 1)


# What a node loss looks like in the events, in the order it happens.
NODE_LOSS_REASONS = ("NodeNotReady", "TaintManagerEviction", "SuccessfulCreate", "Scheduled")


def node_loss_timeline(cluster, node: str, since: float):
    """The events of a node loss, timed from ``since``: NotReady, evictions, replacements.

    Example:
        >>> helpers.lab.node_loss_timeline(cluster, "orchestra-worker2", since=t0)
    """
    events = cluster.events(since=since)
    keep = events[events["reason"].isin(NODE_LOSS_REASONS)].copy()
    keep.insert(0, "after_s", (keep["time"] - since).round(1))
    return keep.drop(columns=["time", "type"]).reset_index(drop=True)


def wait_pods(cluster, selector: str, count: int, timeout: float = 300):
    """Wait until exactly ``count`` pods match ``selector``, all Ready; returns their table.

    Example:
        >>> helpers.lab.wait_pods(cluster, "app=lonely", 1)   # kubectl wait --for=condition=Ready
    """

    def settled(c) -> bool:
        pods = c.pods(selector)
        return len(pods) == count and bool(pods["ready"].all())

    cluster.wait(settled, timeout=timeout, what=f"{count} Ready pod(s) matching {selector}")
    return cluster.pods(selector)[["name", "node", "status", "ready", "image"]]


def set_requests(cluster, deployment: str, **requests: str) -> None:
    """Change the first container's resource requests (kubectl set resources --requests=...).

    Example:
        >>> helpers.lab.set_requests(cluster, "model", cpu="50m")
    """
    containers = _containers(cluster, deployment)
    resources = containers[0].setdefault("resources", {})
    resources["requests"] = {**(resources.get("requests") or {}), **requests}
    _put(cluster, deployment, {"containers": containers})
