"""The kube backend: the shared cluster API on a real cluster (kind or any context).

Example:
    >>> from helpers.kube import KubeCluster
    >>> cluster = KubeCluster(context="kind-orchestra")
"""

from __future__ import annotations

from helpers.kube.cluster import KubeCluster

__all__ = ["KubeCluster"]
