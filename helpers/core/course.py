"""The course cluster's settings, read from cluster/kind.yaml: the one source of truth.

`make cluster` creates the kind cluster from that file and the simulator takes its timings
from the same values, so a number a lab states (how long until a lost node is NotReady)
holds on both. Where the file sets nothing, Kubernetes' own defaults apply.

Example:
    >>> COURSE.node_monitor_grace_period, COURSE.lease_renew_interval
    (20.0, 5.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from helpers.core.durations import parse_go_duration
from helpers.core.paths import REPO

KIND_CONFIG = REPO / "cluster" / "kind.yaml"

# Kubernetes defaults (kube-controller-manager and KubeletConfiguration reference pages):
# --node-monitor-grace-period 50 s since v1.32 (kubernetes/kubernetes#126287, 40 s before),
# nodeLeaseDurationSeconds 40, renewed every 25 % of it (the kubelet's lease controller).
DEFAULT_GRACE_S = 50.0
DEFAULT_LEASE_S = 40
LEASE_RENEW_FRACTION = 0.25


@dataclass(frozen=True)
class CourseCluster:
    """What the simulator copies from the course's kind cluster.

    Attributes:
        workers: worker nodes (the control plane is one more).
        node_monitor_grace_period: seconds a node may stay silent before it is Unknown.
        node_lease_duration: the kubelet's nodeLeaseDurationSeconds.
    """

    workers: int = 2
    node_monitor_grace_period: float = DEFAULT_GRACE_S
    node_lease_duration: int = DEFAULT_LEASE_S

    @property
    def lease_renew_interval(self) -> float:
        """Seconds between the kubelet's Lease renewals: 25 % of the lease duration."""
        return self.node_lease_duration * LEASE_RENEW_FRACTION


def _seconds(value: str) -> float:
    """A Go duration as kubeadm flags carry it ("20s", "1m30s") in seconds."""
    return parse_go_duration(value)


def _documents(text: str):
    """Each YAML document inside a kind config's patch strings."""
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict):
            yield doc


def read(path: Path = KIND_CONFIG) -> CourseCluster:
    """The course cluster as ``path`` (a kind config) describes it; defaults if it is absent."""
    if not path.is_file():
        return CourseCluster()
    config = yaml.safe_load(path.read_text()) or {}
    workers = sum(1 for n in config.get("nodes") or [] if n.get("role") == "worker")
    grace, lease = DEFAULT_GRACE_S, DEFAULT_LEASE_S
    for patch in config.get("kubeadmConfigPatches") or []:
        for doc in _documents(patch):
            if doc.get("kind") == "KubeletConfiguration":
                lease = int(doc.get("nodeLeaseDurationSeconds", lease))
    for node in config.get("nodes") or []:
        for patch in node.get("kubeadmConfigPatchesJSON6902") or []:
            for op in yaml.safe_load(patch.get("patch") or "[]") or []:
                value = op.get("value")
                if isinstance(value, dict) and value.get("name") == "node-monitor-grace-period":
                    grace = _seconds(str(value["value"]))
    return CourseCluster(workers or 2, grace, lease)


COURSE = read()
