"""The steps a lab section's starting state is made of (helpers/lab/sections.py).

Each step is a function ``step(cluster) -> list[Change]`` on the shared Cluster API that
looks first and changes only what differs from what it wants: run on a cluster already in
that state it reads, changes nothing and returns ``[]`` (so the cluster clock does not
move). A change to a Deployment's pod template or replicas names the Deployment in
``Change.settle``; ``sections.reconcile`` waits for those rollouts once every step ran, so
two fixes of one bad template (a bad image and a crash fault) roll out once, together.

Example:
    >>> step = image("model", "v2")
    >>> step(cluster)               # the model ran v1
    [Change(want='deployment/model at v2', done='rolled it there', found='it ran v1', ...)]
    >>> step(cluster)
    []
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestra_model.data import sample_rows

from helpers.core import clusterdns, helmrelease, labels
from helpers.core.paths import MANIFESTS, REPO
from helpers.core.rollout import template_image
from helpers.core.state import version_of, with_version
from helpers.errors import NotFound, ServiceUnavailable
from helpers.lab.helm_runner import helm
from helpers.lab.microservices import (
    GATEWAY_FILES,
    MODEL_WITH_TOKEN,
    TOKEN_ENV,
    TOKEN_KEY,
    TOKEN_SECRET,
    ensure_token,
    from_token_secret,
    token_env,
)
from helpers.lab.nodes import SPREAD_MANIFEST, one_per_node
from helpers.lab.ops import NODE_LOSS_TAINTS, set_env, set_probe_path, set_requests, set_tolerations
from helpers.lab.session import SETTLE_S, object_exists

if TYPE_CHECKING:
    from helpers.core.api import Cluster

# The course chart (lab 07), as an absolute path: a section cell runs from any folder.
CHART = REPO / "cluster" / "chart"


@dataclass(frozen=True)
class Change:
    """One thing a step put right: what the section wants, what was done, what was found."""

    want: str  # "deployment/model at v2"
    done: str  # "rolled it there"
    found: str  # "it ran v1"
    settle: str | None = None  # a Deployment whose rollout to wait for after the steps


Step = Callable[["Cluster"], list[Change]]


def _container(cluster, deployment: str) -> dict:
    return cluster.get("Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


def present(kind: str, name: str, manifest: str) -> Step:
    """``kind/name`` exists; else apply ``manifest`` (a file in cluster/manifests/)."""

    def step(cluster) -> list[Change]:
        if object_exists(cluster, kind, name):
            return []
        cluster.apply(MANIFESTS / manifest)
        settle = name if kind == "Deployment" else None
        return [Change(f"{kind.lower()}/{name}", f"applied {manifest}", "it was not there", settle)]

    return step


def absent(kind: str, name: str) -> Step:
    """No ``kind/name`` (nor its pods, for a Pod or Deployment): else delete it, wait for that."""

    def step(cluster) -> list[Change]:
        try:
            obj = cluster.get(kind, name)
        except NotFound:
            return []
        # A Deployment's pods outlive it by their grace period (the garbage collector
        # deletes them); its selector still finds them once their owner is gone.
        selector = obj["spec"]["selector"] if kind == "Deployment" else None

        def gone(c) -> bool:
            pods = c.snapshot()["pods"]
            if kind == "Pod" and any(p["name"] == name for p in pods):
                return False
            if selector and any(labels.matches(selector, p["labels"]) for p in pods):
                return False
            return not object_exists(c, kind, name)

        with contextlib.suppress(NotFound):  # gone between the look and the delete
            cluster.delete(kind, name)
        cluster.wait(gone, timeout=SETTLE_S, what=f"{kind.lower()}/{name} and its pods to go")
        return [Change(f"no {kind.lower()}/{name}", "deleted it", "it was there")]

    return step


def image(deployment: str, version: str) -> Step:
    """deployment/<name>'s pod template runs release ``version`` (the image's tag)."""

    def step(cluster) -> list[Change]:
        have = template_image(cluster.get("Deployment", deployment))
        if version_of(have) == version:
            return []
        cluster.set_image(deployment, with_version(have, version))
        want = f"deployment/{deployment} at {version}"
        return [Change(want, "rolled it there", f"it ran {version_of(have)}", deployment)]

    return step


def replicas(deployment: str, n: int) -> Step:
    """deployment/<name> wants ``n`` replicas (``spec.replicas``)."""

    def step(cluster) -> list[Change]:
        have = cluster.get("Deployment", deployment)["spec"].get("replicas", 1)
        if have == n:
            return []
        cluster.scale(deployment, n)
        want = f"deployment/{deployment} with {n} replicas"
        return [Change(want, "scaled it", f"it had {have}", deployment)]

    return step


def requests(deployment: str, **want: str) -> Step:
    """The first container of deployment/<name> requests ``want`` (e.g. cpu="50m")."""
    wanted = ", ".join(f"{k}={v}" for k, v in want.items())

    def step(cluster) -> list[Change]:
        have = (_container(cluster, deployment).get("resources") or {}).get("requests") or {}
        if all(str(have.get(k)) == v for k, v in want.items()):
            return []
        set_requests(cluster, deployment, **want)
        found = "it requested " + ", ".join(f"{k}={have.get(k)}" for k in want)
        return [Change(f"deployment/{deployment} requesting {wanted}", "set it", found, deployment)]

    return step


def env_unset(deployment: str, name: str) -> Step:
    """The first container of deployment/<name> has no variable ``name`` (a fault switch)."""

    def step(cluster) -> list[Change]:
        env = {e["name"]: e.get("value") for e in _container(cluster, deployment).get("env") or []}
        if name not in env:
            return []
        set_env(cluster, deployment, **{name: None})
        value = env[name]
        found = f"it had {name}={value}" if value is not None else f"it had {name}"
        return [Change(f"deployment/{deployment} without {name}", "removed it", found, deployment)]

    return step


def probe_path(deployment: str, probe: str, path: str) -> Step:
    """The ``probe`` of deployment/<name>'s first container asks ``path``."""

    def step(cluster) -> list[Change]:
        have = _container(cluster, deployment).get(probe, {}).get("httpGet", {}).get("path")
        if have == path:
            return []
        set_probe_path(cluster, deployment, probe, path)
        want = f"deployment/{deployment}'s {probe} on {path}"
        return [Change(want, "pointed it there", f"it asked {have}", deployment)]

    return step


def default_tolerations(deployment: str) -> Step:
    """deployment/<name>'s pods tolerate a lost node for the default 300 s (none of their own)."""

    def step(cluster) -> list[Change]:
        spec = cluster.get("Deployment", deployment)["spec"]["template"]["spec"]
        own = [t for t in spec.get("tolerations") or [] if t.get("key") in NODE_LOSS_TAINTS]
        if not own:
            return []
        set_tolerations(cluster, deployment, None)
        found = f"they tolerated it for {own[0].get('tolerationSeconds')} s"
        want = f"deployment/{deployment} tolerating a lost node for the default 300 s"
        return [Change(want, "reset the tolerations", found, deployment)]

    return step


def no_node_selector(deployment: str) -> Step:
    """deployment/<name>'s pod template has no ``nodeSelector``."""

    def step(cluster) -> list[Change]:
        spec = cluster.get("Deployment", deployment)["spec"]["template"]["spec"]
        have = spec.get("nodeSelector")
        if not have:
            return []
        patch = {"spec": {"template": {"spec": {"nodeSelector": None}}}}
        cluster.patch("Deployment", deployment, patch)
        found = "it had " + ", ".join(f"{k}={v}" for k, v in have.items())
        want = f"deployment/{deployment} without a nodeSelector"
        return [Change(want, "removed it", found, deployment)]

    return step


def nodes_up() -> Step:
    """Every worker Ready (a stopped one is started) and every node schedulable (uncordoned).

    A worker stopped a moment ago still reads Ready until the node monitor grace period
    passes (20 s on the course cluster); only then does this step see it.
    """

    def step(cluster) -> list[Change]:
        changes = []
        for node in cluster.snapshot()["nodes"]:
            name = node["name"]
            if node["role"] == "worker" and node["ready"] != "True":
                cluster.start_node(name)
                found = f"it was NotReady: Ready={node['ready']}"
                changes.append(Change(f"node {name} Ready", "started it", found))
            if not node["schedulable"]:
                cluster.uncordon(name)
                want = f"node {name} schedulable"
                changes.append(Change(want, "uncordoned it", "it was cordoned"))
        if changes:
            cluster.wait(
                lambda c: all(n["ready"] == "True" for n in c.snapshot()["nodes"]),
                timeout=SETTLE_S,
                what="every node to be Ready",
            )
        return changes

    return step


def one_per_worker(name: str = "model-spread", replicas: int = 3) -> Step:
    """deployment/<name> from scheduling/model-spread.yaml (no toleration), one pod Ready per worker.

    With more replicas than workers the rest stay Pending: lab 06 section 3 starts there.
    """

    def workers(c) -> int:
        usable = [
            n
            for n in c.snapshot()["nodes"]
            if n["role"] == "worker" and n["ready"] == "True" and n["schedulable"]
        ]
        return min(replicas, len(usable))

    def placed(c) -> bool:
        ready = [p for p in c.deployment_pods(name) if p["ready"] and p["status"] == "Running"]
        return len(ready) >= workers(c)

    def step(cluster) -> list[Change]:
        found = "it was not there"
        if object_exists(cluster, "Deployment", name):
            spec = cluster.get("Deployment", name)["spec"]["template"]["spec"]
            if not spec.get("tolerations"):
                return []
            found = "its pods tolerated the control-plane taint"
            absent("Deployment", name)(cluster)
        cluster.apply(one_per_node(name, replicas=replicas))
        cluster.wait(placed, timeout=SETTLE_S, what=f"a Ready pod of {name} on every worker")
        want = f"deployment/{name}, {replicas} replicas that repel each other"
        return [Change(want, f"applied {SPREAD_MANIFEST}", found)]

    return step


def no_release(name: str) -> Step:
    """No helm release ``name`` (lab 07): else ``helm uninstall`` it and wait for its pods."""

    def step(cluster) -> list[Change]:
        records = helmrelease.record_names(cluster, name)
        if not records:
            return []
        if helmrelease.deployed(cluster, name) is not None:
            helm(f"uninstall {name}", cluster)
        for record in helmrelease.record_names(cluster, name):  # a failed install's
            with contextlib.suppress(NotFound):
                cluster.delete("Secret", record)
        cluster.wait(
            lambda c: not any(p["labels"].get("app") == name for p in c.snapshot()["pods"]),
            timeout=SETTLE_S,
            what=f"release {name}'s pods to go",
        )
        return [Change(f"no helm release {name}", "uninstalled it", "it was installed")]

    return step


def release_at(name: str, version: str, replicas: int) -> Step:
    """Helm release ``name`` of the course chart deploys ``version`` with ``replicas`` pods."""

    def step(cluster) -> list[Change]:
        current = helmrelease.deployed(cluster, name)
        if current is not None:
            have = (version_of(current.image(name) or ""), current.replicas(name))
            if have == (version, replicas):
                return []
            found = f"it deployed {have[0]} with {have[1]} replicas"
        else:
            found = "it was not installed"
        helm(f"upgrade --install {name} {CHART} --set image.tag={version} "
             f"--set replicaCount={replicas}", cluster)  # fmt: skip
        want = f"helm release {name} at {version} with {replicas} replicas"
        done = "installed it" if current is None else "upgraded it there"
        return [Change(want, done, found, name)]

    return step


def gateway_serving(token: bool) -> Step:
    """Lab 08: deployment/gateway forwards to the model through service/model by DNS
    (configmap/gateway's MODEL_URL is http://model) and every gateway pod runs with it;
    with ``token``, the model asks for the bearer token of Secret model-token and the
    gateway sends it; without, neither does.

    A gateway whose pods started before the ConfigMap was put right still fails (their
    environment is read at start): it is restarted (kubectl rollout restart).
    """

    def step(cluster) -> list[Change]:
        changes: list[Change] = []
        config = {}
        if object_exists(cluster, "ConfigMap", "gateway"):
            config = cluster.get("ConfigMap", "gateway").get("data") or {}
        url = config.get("MODEL_URL")
        if not _names_the_model(url):
            cluster.apply(MANIFESTS / "microservices" / "gateway-config.yaml")
            found = f"MODEL_URL was {url}" if config else "it was not there"
            done = "applied microservices/gateway-config.yaml"
            changes.append(Change("configmap/gateway with MODEL_URL=http://model", done, found))
        for name in GATEWAY_FILES[1:]:
            kind = "Deployment" if "deployment" in name else "Service"
            changes += present(kind, "gateway", f"microservices/{name}")(cluster)
        changes += _token_state(cluster, token)
        if any(c.settle == "gateway" for c in changes):
            return changes  # new gateway pods read the ConfigMap and the Secret afresh
        stale = changes[0].want.startswith("configmap/") if changes else _gateway_fails(cluster)
        if stale and "(401)" in str(stale):
            # The Secret changed after the pods started: both read it anew when restarted.
            for name in ("model", "gateway"):
                cluster.rollout_restart(name)
                want = f"deployment/{name}'s pods reading secret/{TOKEN_SECRET} anew"
                changes.append(Change(want, "restarted them", stale, name))
        elif stale:
            cluster.rollout_restart("gateway")
            want = "the gateway's pods reading configmap/gateway"
            found = stale if isinstance(stale, str) else "they had started before it changed"
            changes.append(Change(want, "restarted them", found, "gateway"))
        return changes

    return step


def _gateway_fails(cluster) -> str:
    """Why one request through service/gateway failed ("" when the model answered it).

    Only a settled model is asked: a model still rolling out would fail for its own reasons.
    """
    if cluster.rollout_status("model").state != "complete":
        return ""
    try:
        cluster.service("gateway").predict(sample_rows(1))
    except ServiceUnavailable as err:
        return f"it answered: {err.what}"
    return ""


def _names_the_model(url) -> bool:
    """MODEL_URL leads from a pod in namespace default to service/model's port 80."""
    try:
        target = clusterdns.lookup(url or "", "default")
    except ValueError:
        return False
    return (target.service, target.namespace, target.port) == ("model", "default", 80)


def _token_state(cluster, token: bool) -> list[Change]:
    """The model's and the gateway's MODEL_TOKEN as ``gateway_serving`` wants them."""
    changes: list[Change] = []
    model = _container(cluster, "model")
    gateway = _container(cluster, "gateway")
    if token:
        if ensure_token(cluster, quiet=True):
            changes.append(Change(f"secret/{TOKEN_SECRET}", "created it", "it was not there"))
        if not from_token_secret(token_env(model)):
            cluster.apply(MANIFESTS / MODEL_WITH_TOKEN)
            want = f"deployment/model asking for the token of {TOKEN_SECRET}"
            changes.append(Change(want, f"applied {MODEL_WITH_TOKEN}", "it did not", "model"))
        if not from_token_secret(token_env(gateway)):
            ref = {"secretKeyRef": {"name": TOKEN_SECRET, "key": TOKEN_KEY}}
            env = [e for e in gateway.get("env") or [] if e.get("name") != TOKEN_ENV]
            env.append({"name": TOKEN_ENV, "valueFrom": ref})
            pod_spec = {"containers": [{**gateway, "env": env}]}
            cluster.patch("Deployment", "gateway", {"spec": {"template": {"spec": pod_spec}}})
            done = f"set {TOKEN_ENV} from the Secret"
            changes.append(
                Change("deployment/gateway sending that token", done, "it did not", "gateway")
            )
        return changes
    if token_env(model) is not None:
        cluster.apply(MANIFESTS / "model-deployment.yaml")
        done = "applied model-deployment.yaml"
        changes.append(Change("deployment/model asking for no token", done, "it asked", "model"))
    return changes
