"""Helpers for the Kubernetes labs: one cluster API on the simulator or a real cluster.

Importing this package starts nothing and prints nothing; heavy parts load on first use.

Example:
    >>> import helpers
    >>> cluster = helpers.connect()          # kind if reachable, else the simulator
    >>> helpers.ClusterView(cluster)         # live pods and nodes
"""

from __future__ import annotations

from helpers import errors
from helpers.connect import choose, connect

_LAZY = {
    "ClusterView": ("helpers.views.clusterview", "ClusterView"),
    "doctor": ("helpers.doctor", "doctor"),
    "checks": ("helpers.checks", None),
    "plots": ("helpers.views.plots", None),
    "kindcluster": ("helpers.kindcluster", None),
    "Progress": ("helpers.views.progress", "Progress"),
    "watch_rollout": ("helpers.views.progress", "watch_rollout"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


__all__ = [
    "ClusterView",
    "Progress",
    "checks",
    "choose",
    "connect",
    "doctor",
    "errors",
    "kindcluster",
    "plots",
    "watch_rollout",
]
