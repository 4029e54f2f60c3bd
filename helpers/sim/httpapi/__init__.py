"""The simulator's Kubernetes API server: real kubectl and client libraries talk to a SimCluster.

Example:
    >>> handle = cluster.serve_api(kubeconfig="sim.kubeconfig")
    >>> # kubectl --kubeconfig sim.kubeconfig get pods
"""

from helpers.sim.httpapi.server import ApiHandle, serve

__all__ = ["ApiHandle", "serve"]
