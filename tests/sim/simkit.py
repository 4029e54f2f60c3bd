"""Builders shared by the simulator's tests: manifests as dicts, event and pod lookups."""

from __future__ import annotations

import copy
from pathlib import Path

MANIFESTS = Path(__file__).resolve().parents[2] / "cluster" / "manifests"


def deployment(name="web", replicas=3, image="orchestra/model:v1", **spec_extra):
    """A minimal Deployment dict (no probes) with the given extra spec fields."""
    container = {"name": "model", "image": image, "ports": [{"containerPort": 8080}]}
    extra_container = spec_extra.pop("container", {})
    container.update(extra_container)
    pod_spec = {"containers": [container], **spec_extra.pop("pod", {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
            **spec_extra,
        },
    }


def service(name="web", app=None):
    """A ClusterIP Service selecting app=<app or name>."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": app or name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def with_path(obj, path, value):
    """A deep copy of ``obj`` with ``path`` ("spec.template.spec.x") set to ``value``."""
    out = copy.deepcopy(obj)
    cur = out
    keys = path.split(".")
    for key in keys[:-1]:
        cur = cur[int(key)] if isinstance(cur, list) else cur.setdefault(key, {})
    cur[keys[-1]] = value
    return out


def reasons(cluster, obj=None):
    """Event reasons in order, optionally only those of one object ("pod/x")."""
    return [e["reason"] for e in cluster.event_rows() if obj is None or e["object"] == obj]


def pods_of(cluster, app="web"):
    """Pod rows of one app label."""
    return [p for p in cluster.snapshot()["pods"] if p["labels"].get("app") == app]
