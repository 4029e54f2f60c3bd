"""The embedded simulated Kubernetes cluster (``helpers.connect("sim")``).

One process, virtual time by default, Kubernetes' documented behaviour. ``cluster``
(SimCluster) is the composition root: it builds the ``store``, ``clock`` and ``apiserver``
(SimApiServer: verbs, ``admission``, ``updates``, ``lifecycle``, ``addresses``,
``budgets``) and gives each component a ``context`` (store, clock, api, ``events``
recorder, rng), never itself. Components: ``scheduler`` and ``interpod`` (placement),
``kubelet`` with ``images``, ``prober`` and ``probes`` (the only writer of a pod's runtime
status; ``server`` is the simulated model server), ``nodes`` (node lifecycle and taint
evictions), ``replicasets``, ``deployments``/``deploystatus``/``rolling``, ``services``
(endpoints) and ``hpa``. The ``dataplane`` (endpoints, serving processes, node power,
``metrics``) is what ``routing`` and ``traffic`` read; ``rows`` turn objects into view rows.

Example:
    >>> from helpers.sim import SimCluster
    >>> cluster = SimCluster(seed=0, workers=2)
    >>> repr(cluster).startswith("<SimCluster 'orchestra': simulated cluster")
    True
"""

from __future__ import annotations

from helpers.sim.cluster import SimCluster
from helpers.sim.server import Serving

__all__ = ["Serving", "SimCluster"]
