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
    "doctor": ("helpers.diagnosis", "doctor"),
    "checks": ("helpers.checks", None),
    "plots": ("helpers.views.plots", None),
    "kindcluster": ("helpers.kind", None),
    "Progress": ("helpers.views.progress", "Progress"),
    "watch_rollout": ("helpers.views.progress", "watch_rollout"),
    "lab": ("helpers.lab", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    # Cache it: later lookups skip __getattr__ and keep naming what this table promised.
    globals()[name] = value
    return value


__all__ = [
    "ClusterView",
    "Progress",
    "checks",
    "choose",
    "connect",
    "doctor",
    "errors",
    "kindcluster",
    "lab",
    "plots",
    "watch_rollout",
]
