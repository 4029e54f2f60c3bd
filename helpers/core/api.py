"""The one cluster interface both backends implement (see shared API.md).

A backend implements the primitives (apply, get, list_objects, patch, delete, evict,
snapshot, subscribe, events, wait, the clock, node power, service and traffic); the verbs
people type (scale, set_image, rollout_undo, cordon, drain, wait_rollout, the tables) are
written once here on top of them, so they mean the same on the simulator and on kind.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from helpers.core import labels
from helpers.core.diffs import ManifestDiff, unified
from helpers.core.drain import pods_to_evict
from helpers.core.registry import loaded_image_hint, registry_image
from helpers.core.rollout import (
    RolloutState,
    new_revision_candidates,
    rollout_state,
    template_image,
)
from helpers.core.state import events_table, nodes_table, pods_table
from helpers.errors import (
    LabError,
    LabTimeout,
    ManifestError,
    NotFound,
    RolloutStuck,
    UnsupportedOnBackend,
)

# kubectl drain retries an eviction refused by a PodDisruptionBudget every 5 s.
EVICTION_RETRY_SECONDS = 5.0
# The revision a Deployment and each of its ReplicaSets carry (the deployment controller).
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


class Cluster(abc.ABC):
    """A Kubernetes cluster the labs drive: the simulator or a real one.

    Example:
        >>> cluster = helpers.connect("sim")
        >>> cluster.apply("cluster/manifests/")
        >>> cluster.wait_rollout("model")
    """

    backend: str = ""  # "sim" or "kube"
    # The registry the nodes pull the course images from (helpers.core.registry); None: the
    # images were loaded into the nodes (kind load, the simulator).
    registry: str | None = None
    name: str = ""

    # ---- primitives each backend implements -------------------------------------------
    @abc.abstractmethod
    def apply(self, source, namespace: str = "default") -> list[str]:
        """Create or update the objects in ``source``; returns ``["deployment/model", ...]``."""

    @abc.abstractmethod
    def dry_run_apply(
        self, source, namespace: str = "default"
    ) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
        """(live object or None, the object as ``apply(source)`` would leave it) per object,
        computed by the API server's dry run (``?dryRun=All``): nothing is stored.

        Raises what ``apply`` raises (ManifestError, NotFound) for a manifest it refuses.
        """

    @abc.abstractmethod
    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """The object as Kubernetes JSON, status included; NotFound if absent."""

    @abc.abstractmethod
    def list_objects(
        self, kind: str, namespace: str | None = "default", selector=None
    ) -> list[dict[str, Any]]:
        """Objects of a kind as Kubernetes JSON (namespace None: all namespaces)."""

    @abc.abstractmethod
    def patch(self, kind: str, name: str, patch: dict, namespace: str = "default") -> dict:
        """Merge ``patch`` into the object (JSON merge patch semantics: lists replace)."""

    @abc.abstractmethod
    def delete(self, kind: str, name: str, namespace: str = "default") -> None:
        """Delete an object (pods terminate gracefully)."""

    @abc.abstractmethod
    def evict(self, pod: str, namespace: str = "default") -> bool:
        """Evict a pod through the Eviction API; False when a PodDisruptionBudget refuses (429)."""

    @abc.abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain dicts (see helpers.core.state)."""

    @abc.abstractmethod
    def subscribe(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call ``callback(change)`` on every state change; returns the unsubscribe function."""

    @abc.abstractmethod
    def event_rows(self) -> list[dict[str, Any]]:
        """Every event the cluster still holds, oldest first (rows of helpers.core.state.EventRow)."""

    @abc.abstractmethod
    def wait(self, predicate: Callable[[Cluster], bool], timeout: float, what: str) -> None:
        """Return once ``predicate(cluster)`` holds; LabTimeout naming ``what`` past ``timeout``.

        Waits on changes (the simulator advances its clock to the next change), never on a
        fixed sleep loop.
        """

    @abc.abstractmethod
    def stop_node(self, node: str) -> None:
        """A worker goes dark: its kubelet stops reporting (the machine is off)."""

    @abc.abstractmethod
    def start_node(self, node: str) -> None:
        """A stopped worker comes back."""

    @abc.abstractmethod
    def now(self) -> float:
        """Seconds on the cluster clock."""

    @abc.abstractmethod
    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on the cluster clock (virtual on the simulator)."""

    @abc.abstractmethod
    def service(self, name: str, namespace: str = "default"):
        """A client for a Service: ``.predict(rows)`` returns predictions, version and pod."""

    @abc.abstractmethod
    def traffic(self, service: str, rps: float = 50, duration: float | None = None, **kwargs):
        """Open-loop background load on a Service; a context manager with ``.results``."""

    def close(self) -> None:  # noqa: B027 (optional for backends)
        """Release watches, threads and connections (safe to call twice)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def simulated(self) -> bool:
        """True on the embedded simulator."""
        return self.backend == "sim"

    # ---- tables for people -----------------------------------------------------------
    def pods(self, selector=None, namespace: str | None = "default") -> pd.DataFrame:
        """Pods as `kubectl get pods -o wide` shows them (columns in helpers.core.state)."""
        reqs = labels.parse(selector)
        rows = [
            p
            for p in self.snapshot()["pods"]
            if (namespace is None or p["namespace"] == namespace)
            and labels.matches(reqs, p["labels"])
        ]
        return pods_table(rows, self.now())

    def deployment_pods(self, deployment: str, namespace: str = "default") -> list[dict[str, Any]]:
        """Rows of the pods whose ``owner`` is ``deployment``, in snapshot order (by name).

        This reads the whole snapshot; a backend with an owner index answers from it, so a
        rollout wait costs what one Deployment holds, not what the cluster holds.

        Example:
            >>> {p["owner"] for p in cluster.deployment_pods("model")}
            {'model'}
        """
        return [
            p
            for p in self.snapshot()["pods"]
            if p["namespace"] == namespace and p.get("owner") == deployment
        ]

    def nodes(self) -> pd.DataFrame:
        """Nodes with readiness, cordon state and requested vs allocatable resources."""
        return nodes_table(self.snapshot()["nodes"])

    def events(self, since: float | None = None) -> pd.DataFrame:
        """Events (time on the cluster clock), oldest first, optionally from ``since`` on."""
        return events_table(self.event_rows(), since)

    # ---- verbs written once ------------------------------------------------------------
    def diff(self, source, namespace: str = "default") -> ManifestDiff:
        """What applying ``source`` would change, as `kubectl diff -f <source>` shows it.

        The live objects against the API server's dry-run apply of each (nothing is
        stored), in ``diff -u`` form with managedFields left out; empty (falsy) when the
        apply would change nothing. (kubernetes.io/docs/reference/kubectl/generated/kubectl_diff/)

        Raises:
            ManifestError: the manifest is refused, as apply would refuse it.

        Example:
            >>> print(cluster.diff("work/model-deployment.yaml"))
            --- LIVE/apps.v1.Deployment.default.model
            +++ MERGED/apps.v1.Deployment.default.model
            ...
            -  replicas: 3
            +  replicas: 5
        """
        return unified(self.dry_run_apply(source, namespace))

    def scale(self, deployment: str, replicas: int, namespace: str = "default") -> None:
        """Set a Deployment's replicas (kubectl scale deployment/<name> --replicas=N)."""
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ManifestError(
                f"replicas must be a whole number >= 0, not {replicas!r}.",
                f'Call cluster.scale("{deployment}", 3).',
            )
        self.patch("Deployment", deployment, {"spec": {"replicas": replicas}}, namespace)

    def set_image(
        self, deployment: str, image: str, container: str | None = None, namespace: str = "default"
    ) -> None:
        """Change a container's image, which starts a rolling update (kubectl set image).

        A course image is named as the cluster pulls it (``self.registry``, e.g.
        ``localhost:5001/orchestra/model:v2`` for ``orchestra/model:v2``).
        """
        image = registry_image(image, self.registry)
        dep = self.get("Deployment", deployment, namespace)
        containers = dep["spec"]["template"]["spec"]["containers"]
        names = [c["name"] for c in containers]
        if container is None and len(containers) > 1:
            raise ManifestError(
                f"deployment/{deployment} has containers {names}; say which one.",
                f'Call cluster.set_image("{deployment}", "{image}", container="{names[0]}").',
            )
        target = container or names[0]
        if target not in names:
            raise NotFound(f"deployment/{deployment} has no container {target!r} (it has {names}).")
        new = [dict(c, image=image) if c["name"] == target else c for c in containers]
        self.patch(
            "Deployment",
            deployment,
            {"spec": {"template": {"spec": {"containers": new}}}},
            namespace,
        )

    def revisions(self, deployment: str, namespace: str = "default") -> dict[int, dict]:
        """The Deployment's ReplicaSets by revision number (kubectl rollout history)."""
        dep = self.get("Deployment", deployment, namespace)
        out = {}
        for rs in self.list_objects("ReplicaSet", namespace, dep["spec"]["selector"]):
            owners = rs["metadata"].get("ownerReferences") or []
            if not any(
                o.get("kind") == "Deployment" and o.get("name") == deployment for o in owners
            ):
                continue
            rev = rs["metadata"].get("annotations", {}).get(REVISION_ANNOTATION)
            if rev is not None:
                out[int(rev)] = rs
        return dict(sorted(out.items()))

    def rollout_undo(
        self, deployment: str, to_revision: int | None = None, namespace: str = "default"
    ) -> int:
        """Roll back as kubectl does: copy a previous ReplicaSet's pod template back.

        Returns the revision whose template was restored. That ReplicaSet then takes the next
        revision number (kubernetes.io/docs/concepts/workloads/controllers/deployment/
        #rolling-back-a-deployment).
        """
        revs = self.revisions(deployment, namespace)
        if to_revision in (None, 0):
            if len(revs) < 2:
                raise LabError(
                    f"deployment/{deployment} has no previous revision to roll back to.",
                    f'See cluster.revisions("{deployment}").',
                )
            to_revision = sorted(revs)[-2]
        if to_revision not in revs:
            raise NotFound(
                f"deployment/{deployment} has no revision {to_revision} (it has {sorted(revs)}).",
                f'Pick one of cluster.revisions("{deployment}").',
            )
        template = revs[to_revision]["spec"]["template"]
        template = {**template, "metadata": dict(template.get("metadata", {}))}
        template["metadata"]["labels"] = {
            k: v
            for k, v in template["metadata"].get("labels", {}).items()
            if k != "pod-template-hash"
        }
        self.patch("Deployment", deployment, {"spec": {"template": template}}, namespace)
        return to_revision

    def rollout_restart(self, deployment: str, namespace: str = "default") -> None:
        """Replace every pod of the Deployment by a rolling update (kubectl rollout restart).

        As kubectl does, it sets the pod template's annotation
        ``kubectl.kubernetes.io/restartedAt`` to the time now (RFC 3339), a template change
        like any other, so the rollout follows the Deployment's strategy. New pods read
        their ConfigMaps and Secrets afresh: the way a changed ConfigMap reaches
        environment variables (kubernetes.io/docs/reference/kubectl/generated/
        kubectl_rollout/kubectl_rollout_restart/).

        Raises:
            NotFound: no such Deployment.
        """
        self.get("Deployment", deployment, namespace)  # NotFound in kubectl's words
        stamp = {"kubectl.kubernetes.io/restartedAt": self.timestamp()}
        patch = {"spec": {"template": {"metadata": {"annotations": stamp}}}}
        self.patch("Deployment", deployment, patch, namespace)

    def timestamp(self) -> str:
        """The time now as the API server writes it (RFC 3339, seconds, UTC)."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def cordon(self, node: str) -> None:
        """Mark a node unschedulable (kubectl cordon)."""
        self.patch("Node", node, {"spec": {"unschedulable": True}}, namespace=None)

    def uncordon(self, node: str) -> None:
        """Make a node schedulable again (kubectl uncordon)."""
        self.patch("Node", node, {"spec": {"unschedulable": None}}, namespace=None)

    def delete_pod(self, name: str, namespace: str = "default") -> None:
        """Delete one pod (kubectl delete pod); its controller makes a replacement."""
        self.delete("Pod", name, namespace)

    def drain(
        self,
        node: str,
        timeout: float = 300,
        *,
        force: bool = False,
        ignore_daemonsets: bool = False,
        delete_emptydir_data: bool = False,
    ) -> list[str]:
        """Cordon, then evict the pods on ``node``, retrying PDB refusals every 5 s (kubectl drain).

        As kubectl, drain first checks every pod of the node (all namespaces): a pod without
        a controller needs ``force`` (--force), a DaemonSet's pod ``ignore_daemonsets``
        (--ignore-daemonsets; it is then left running), a pod with an emptyDir volume
        ``delete_emptydir_data``. Without them it refuses with kubectl's message before
        evicting anything; the node stays cordoned. Mirror pods are left alone.

        Returns the evicted pods. Raises LabTimeout when a PodDisruptionBudget still refuses
        at ``timeout`` (kubectl drain does the same with --timeout).

        Example:
            >>> cluster.drain("orchestra-worker", ignore_daemonsets=True)
            ['model-6d4b9c7f5-x2k9p']
        """
        self.cordon(node)
        deadline = self.now() + timeout
        pods = self.list_objects("Pod", None)
        chosen = pods_to_evict(
            pods,
            node,
            self._daemonset_exists,
            force=force,
            ignore_daemonsets=ignore_daemonsets,
            delete_emptydir_data=delete_emptydir_data,
        )
        # A pod already terminating is on its way out: nothing to evict.
        leaving = {
            (p["metadata"].get("namespace", "default"), p["metadata"]["name"])
            for p in pods
            if p["metadata"].get("deletionTimestamp")
        }
        pending = [key for key in chosen if key not in leaving]
        evicted: list[str] = []
        while pending:
            refused = [(ns, name) for ns, name in pending if not self._evict_one(ns, name, evicted)]
            if not refused:
                break
            if self.now() + EVICTION_RETRY_SECONDS > deadline:
                names = ", ".join(name for _, name in refused)
                raise LabTimeout(
                    f"drain {node}: a PodDisruptionBudget still refuses to evict {names}.",
                    "Scale the Deployment up so the budget allows an eviction, or relax the "
                    "PodDisruptionBudget, then drain again.",
                )
            pending = refused
            self.sleep(EVICTION_RETRY_SECONDS)
        self.wait(
            lambda c: (
                not any(p["node"] == node and p["name"] in evicted for p in c.snapshot()["pods"])
            ),
            timeout=max(deadline - self.now(), 1.0),
            what=f"the evicted pods to leave {node}",
        )
        return evicted

    def _daemonset_exists(self, namespace: str, name: str) -> bool:
        try:
            self.get("DaemonSet", name, namespace)
        except NotFound:
            return False
        return True

    def _evict_one(self, namespace: str, name: str, evicted: list[str]) -> bool:
        try:
            ok = self.evict(name, namespace)
        except NotFound:
            return True  # already gone: nothing to evict
        if ok:
            evicted.append(name)
        return ok

    def rollout_status(self, deployment: str, namespace: str = "default") -> RolloutState:
        """Where the Deployment's rollout stands (kubectl rollout status, without waiting)."""
        dep = self.get("Deployment", deployment, namespace)
        pods = self.deployment_pods(deployment, namespace)
        new_hash = None
        if new_revision_candidates(dep, pods):  # rare: only then look up the ReplicaSets
            new_hash = self._new_replicaset_hash(dep, namespace)
        return rollout_state(dep, pods, new_hash)

    def _new_replicaset_hash(self, dep: dict, namespace: str) -> str | None:
        """The pod-template-hash of the Deployment's newest ReplicaSet: the one whose
        ``deployment.kubernetes.io/revision`` equals the Deployment's own."""
        revision = (dep["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION)
        try:
            newest = self.revisions(dep["metadata"]["name"], namespace).get(int(revision or 0))
        except UnsupportedOnBackend:  # a cluster that lists no objects: match by image
            return None
        return ((newest or {}).get("metadata", {}).get("labels") or {}).get("pod-template-hash")

    def wait_rollout(self, deployment: str, timeout: float = 300, namespace: str = "default"):
        """Wait until the rollout completes; fail early with the reason when it cannot.

        Raises:
            RolloutStuck: as soon as the reason is known (ProgressDeadlineExceeded,
                ImagePullBackOff, CrashLoopBackOff, ...).
            LabTimeout: when ``timeout`` passes first.
        """
        seen: dict[str, RolloutState] = {}

        def done(cluster: Cluster) -> bool:
            state = cluster.rollout_status(deployment, namespace)
            seen["last"] = state
            return state.state != "progressing"

        try:
            self.wait(done, timeout=timeout, what=f"deployment/{deployment} to roll out")
        except LabTimeout as err:
            last = seen.get("last")
            detail = f" Last state: {last.message}." if last else ""
            raise LabTimeout(err.what + detail, err.hint) from None
        state = seen["last"]
        if state.state == "stuck":
            raise RolloutStuck(
                f"Rollout of deployment/{deployment} is stuck: {state.message.rstrip('.')}.",
                state.reason,
                self._helm_rollback_hint(deployment, namespace)
                or self._loaded_image_hint(deployment, namespace, state.reason)
                or self._first_revision_hint(deployment, namespace)
                or RolloutStuck.default_hint.replace("<deployment>", deployment),
            )
        return state

    def _first_revision_hint(self, deployment: str, namespace: str) -> str | None:
        """A Deployment at its first revision has nothing to roll back to (kubectl rollout
        undo: "no rollout history found"): the fix is the manifest (None: later revisions)."""
        try:
            meta = self.get("Deployment", deployment, namespace).get("metadata") or {}
        except LabError:
            return None
        if (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision") != "1":
            return None
        return (
            f"deployment/{deployment} has no earlier revision to roll back to: read why its "
            "pods do not turn Ready in cluster.events() (Unhealthy: a probe; Failed: the "
            "image or the container), fix the manifest and apply it again."
        )

    def _loaded_image_hint(self, deployment: str, namespace: str, reason: str) -> str | None:
        """On a real cluster fed by `kind load`: why a course image is not there (None: the
        simulator, a registry in use, another reason or image)."""
        if self.simulated:
            return None
        try:
            image = template_image(self.get("Deployment", deployment, namespace))
        except LabError:
            return None
        return loaded_image_hint(image, reason, self.registry)

    def _helm_rollback_hint(self, deployment: str, namespace: str) -> str | None:
        """The way back for a Deployment a helm release owns (None: not helm's).

        helm marks what it installs with the label app.kubernetes.io/managed-by=Helm and the
        annotation meta.helm.sh/release-name (helm.sh/docs/chart_best_practices/labels/).
        """
        try:
            meta = self.get("Deployment", deployment, namespace).get("metadata") or {}
        except LabError:
            return None
        release = (meta.get("annotations") or {}).get("meta.helm.sh/release-name")
        if (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") != "Helm" or not release:
            return None
        return (
            f"Look at cluster.events() and cluster.pods(). deployment/{deployment} belongs to "
            f"helm release {release}: go back through helm (helm history {release}, then "
            f"helm rollback {release} <revision>), not kubectl rollout undo, which helm's "
            "record would not know about."
        )

    def __repr__(self) -> str:
        kind = "simulated cluster" if self.simulated else "Kubernetes cluster"
        return f"<{type(self).__name__} {self.name!r}: {kind}, backend={self.backend!r}>"
