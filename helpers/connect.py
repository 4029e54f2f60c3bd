"""Choosing and opening a backend: the kind cluster when it answers, else the simulator."""

from __future__ import annotations

import os
from dataclasses import dataclass

from helpers.core.api import Cluster
from helpers.errors import LabError

KIND_CLUSTER = "orchestra"
KIND_CONTEXT = f"kind-{KIND_CLUSTER}"
BACKENDS = ("sim", "kind")


@dataclass(frozen=True)
class Choice:
    """Which backend connect() picks, and why (the doctor prints this)."""

    backend: str  # "sim" or "kube"
    context: str | None
    reason: str


def choose(backend: str | None = None, context: str | None = None, probe=None) -> Choice:
    """Decide the backend without opening it.

    Order: an explicit ``context``; an explicit ``backend``; the ``LAB_BACKEND`` environment
    variable (instructors set ``LAB_BACKEND=sim`` in CI); ``LAB_CONTEXT`` (a class on a
    managed cluster sets it once, and every lab's ``start`` opens that kubeconfig context);
    then the kind cluster if its API server answers (``probe``: helpers.kube.config.probe
    unless a test passes another); else the simulator.
    """
    if context:
        return Choice("kube", context, f"the kubeconfig context {context!r} was asked for")
    backend = backend or os.environ.get("LAB_BACKEND") or None
    if backend is None and os.environ.get("LAB_CONTEXT"):
        context = os.environ["LAB_CONTEXT"]
        return Choice("kube", context, f"LAB_CONTEXT names the kubeconfig context {context!r}")
    if backend not in (None, *BACKENDS):
        raise LabError(
            f"Unknown backend {backend!r}.",
            'Use helpers.connect("sim"), helpers.connect("kind") or helpers.connect(context="...").',
        )
    if backend == "sim":
        return Choice("sim", None, "the simulator was asked for")
    if backend == "kind":
        return Choice("kube", KIND_CONTEXT, f"the kind cluster {KIND_CLUSTER!r} was asked for")
    if probe is None:
        from helpers.kube.config import probe

    ok, why = probe(KIND_CONTEXT, timeout=2.0)
    if ok:
        return Choice("kube", KIND_CONTEXT, f"the kind cluster {KIND_CLUSTER!r} answers")
    return Choice("sim", None, f"no kind cluster is reachable ({why}); using the simulator")


def connect(
    backend: str | None = None,
    *,
    context: str | None = None,
    seed: int = 0,
    realtime: bool = False,
    speed: float = 1.0,
    workers: int = 2,
    **options,
) -> Cluster:
    """Open the cluster the labs run on.

    Args:
        backend: "sim", "kind", or None to pick (the kind cluster if reachable, else "sim").
        context: any kubeconfig context (a cloud cluster).
        seed, realtime, speed, workers: simulator options (virtual time unless
            realtime=True, then ``speed`` virtual seconds per wall second; one control-plane
            node plus ``workers`` worker nodes). A real cluster ignores them.
        **options: passed to the backend.

    Virtual time is the default here, for scripts and tests: instant and the same on every
    run. The labs choose realtime for people through ``helpers.lab.start`` (its ``speed``).

    Example:
        >>> cluster = helpers.connect("sim", seed=0)
        >>> cluster.backend
        'sim'
    """
    choice = choose(backend, context)
    if choice.backend == "sim":
        from helpers.sim import SimCluster

        cluster: Cluster = SimCluster(
            seed=seed, realtime=realtime, speed=speed, workers=workers, **options
        )
    else:
        from helpers.kube import KubeCluster

        cluster = KubeCluster(context=choice.context, **options)
    cluster.choice = choice
    return cluster
