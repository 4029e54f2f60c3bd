"""The embedded simulated Kubernetes cluster (``helpers.connect("sim")``).

One process, virtual time by default, Kubernetes' documented behaviour. Where things live:
``cluster`` (SimCluster, the Cluster API), ``apiserver`` and ``admission`` (verbs,
validation, defaults), ``deployments``/``deploystatus``/``rolling`` and ``replicasets``
(controllers), ``scheduler`` and ``interpod`` (placement), ``kubelet``, ``prober``,
``probes`` and ``server`` (pods and the simulated model server), ``nodes`` (node lifecycle
and taint evictions), ``services`` (endpoints, PodDisruptionBudgets), ``clock`` (virtual
and realtime time), ``store``/``events``/``rows`` (state for views); ``traffic``,
``metrics`` and ``hpa`` model load and autoscaling.

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
