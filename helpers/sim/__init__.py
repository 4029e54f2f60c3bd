"""The embedded simulated Kubernetes cluster (``helpers.connect("sim")``).

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
