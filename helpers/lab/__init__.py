"""What the notebooks call: a lab's session, its experiments, exercises and kubectl.

This package only re-exports (like kopf's ``__init__``): the session (``start``,
``reset``, ``cleanup``) and its clock's speed (``speed``), each section's starting state
(``section``, in ``sections``), the lab operations on the shared
Cluster API (``ops``, ``nodes``), the experiments (``experiments``), the local container and server of lab 01
(``container``, ``server``), the notebook ``kubectl`` (``kubectl_translator``), ``helm`` (``helm_runner``) and the
exercise solutions (``solutions``). Every function runs unchanged on both backends.

Example:
    >>> cluster = helpers.lab.start("03_scale")       # connect, reset, deploy the model
    >>> helpers.lab.kubectl("scale deployment/model --replicas=5")
    >>> helpers.lab.cleanup(cluster)
"""

from __future__ import annotations

from helpers.core.traffic import failure_causes
from helpers.lab.container import build_image, run_container
from helpers.lab.experiments import SERVER_CONDITIONS, chaos, rollout_experiment
from helpers.lab.helm_runner import helm
from helpers.lab.kubectl_translator import kubectl
from helpers.lab.microservices import ask, create_token
from helpers.lab.model import releases
from helpers.lab.nodes import LAB_NODE_LABELS, label_node, node_labels, one_per_node
from helpers.lab.ops import (
    MANIFESTS,
    node_loss_timeline,
    read_manifest,
    recover,
    room_for,
    set_env,
    set_probe_path,
    set_requests,
    set_tolerations,
    starter,
    wait_pods,
    workdir,
)
from helpers.lab.sections import section
from helpers.lab.server import LocalServer, local_server
from helpers.lab.session import (
    LAB_APPS,
    LAB_OBJECTS,
    PREREQUISITES,
    SETTLE_S,
    cleanup,
    current,
    manifest,
    reset,
    show_file,
    start,
)
from helpers.lab.solutions import exercise, reveal
from helpers.lab.speed import LAB_SPEEDS, SPEED_ENV

__all__ = [
    "LAB_APPS",
    "LAB_NODE_LABELS",
    "LAB_OBJECTS",
    "LAB_SPEEDS",
    "MANIFESTS",
    "PREREQUISITES",
    "SERVER_CONDITIONS",
    "SETTLE_S",
    "SPEED_ENV",
    "LocalServer",
    "ask",
    "build_image",
    "chaos",
    "cleanup",
    "create_token",
    "current",
    "exercise",
    "failure_causes",
    "helm",
    "kubectl",
    "label_node",
    "local_server",
    "manifest",
    "node_labels",
    "node_loss_timeline",
    "one_per_node",
    "read_manifest",
    "recover",
    "releases",
    "reset",
    "reveal",
    "rollout_experiment",
    "room_for",
    "run_container",
    "section",
    "set_env",
    "set_probe_path",
    "set_requests",
    "set_tolerations",
    "show_file",
    "start",
    "starter",
    "wait_pods",
    "workdir",
]
