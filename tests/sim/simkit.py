"""Lookups shared by the simulator's tests (the manifest builders are tests/manifests.py)."""

from __future__ import annotations


def reasons(cluster, obj=None):
    """Event reasons in order, optionally only those of one object ("pod/x")."""
    return [e["reason"] for e in cluster.event_rows() if obj is None or e["object"] == obj]


def pods_of(cluster, app="web"):
    """Pod rows of one app label."""
    return [p for p in cluster.snapshot()["pods"] if p["labels"].get("app") == app]
