"""Lab 06's node-level glue: node labels, and a Deployment that wants one pod per node.

``label_node`` is `kubectl label node`; ``node_labels`` is `kubectl get nodes
--show-labels` without the kubernetes.io bookkeeping; ``one_per_node`` reads the manifest
of a Deployment whose pods repel each other (required pod anti-affinity on the hostname).
(kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)
"""

from __future__ import annotations

import pandas as pd

from helpers.lab.ops import read_manifest

# Labels the labs put on nodes; helpers.lab.reset removes them again.
LAB_NODE_LABELS = ("accelerator",)
SPREAD_MANIFEST = "scheduling/model-spread.yaml"


def label_node(cluster, node: str, **labels) -> None:
    """Set (value) or remove (None) labels on a node (kubectl label node <node> k=v / k-).

    Example:
        >>> helpers.lab.label_node(cluster, "orchestra-worker2", accelerator="gpu")
    """
    cluster.patch("Node", node, {"metadata": {"labels": labels}}, namespace=None)


def node_labels(cluster) -> pd.DataFrame:
    """Each node's own labels (the ``*kubernetes.io/*`` bookkeeping left out), plus its role.

    Example:
        >>> helpers.lab.node_labels(cluster)
    """
    rows = []
    for node in sorted(cluster.snapshot()["nodes"], key=lambda n: n["name"]):
        meta = cluster.get("Node", node["name"], namespace=None)["metadata"]
        own = {k: v for k, v in (meta.get("labels") or {}).items() if "kubernetes.io" not in k}
        rows.append({"name": node["name"], "role": node["role"], "labels": own})
    return pd.DataFrame(rows, columns=["name", "role", "labels"])


def one_per_node(name: str = "model-spread", replicas: int = 3) -> dict:
    """cluster/manifests/scheduling/model-spread.yaml as a dict: the course Deployment
    renamed, relabelled, with required pod anti-affinity on hosts (another ``name`` or
    ``replicas`` is written into the copy).

    Its pods carry ``app: <name>`` (not ``app: model``), so the model Service ignores them.

    Example:
        >>> cluster.apply(helpers.lab.one_per_node())
    """
    dep = read_manifest(SPREAD_MANIFEST)
    labels = {"app": name}
    dep["metadata"].update(name=name, labels=labels)
    dep["spec"]["replicas"] = replicas
    dep["spec"]["selector"] = {"matchLabels": dict(labels)}
    dep["spec"]["template"]["metadata"]["labels"] = dict(labels)
    for term in dep["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]:
        term["labelSelector"] = {"matchLabels": dict(labels)}
    return dep
