"""What the simulated API server accepts: validation and defaults per kind.

Types, unknown fields and required fields are checked once, for both backends, against
Kubernetes' schema (helpers.core.validation). What the schema cannot say is checked here,
with a ManifestError naming the field, never ignored: an unknown kind or apiVersion, a field
that would change behaviour here, maxSurge and maxUnavailable both 0, a selector that does
not match the template's labels, a bad quantity. Defaults are the API server's (strategy 25 %/25 %, revisionHistoryLimit 10,
progressDeadlineSeconds 600, and the pod defaults in podspec).
"""

from __future__ import annotations

import copy
from typing import Any

from helpers.core import labels
from helpers.core.kinds import KINDS
from helpers.errors import ManifestError
from helpers.sim import configdata, podspec, rolling, serviceports
from helpers.sim.addresses import NODE_PORTS

# The kinds the simulator serves; their apiVersion and scope come from the one kinds table.
SIM_KINDS = (
    "Namespace",
    "Pod",
    "Service",
    "Deployment",
    "ReplicaSet",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ConfigMap",
    "Secret",
)
API_VERSIONS = {kind: (KINDS[kind].group_version,) for kind in SIM_KINDS}
NAMESPACED = {kind for kind, row in KINDS.items() if row.namespaced}
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
# 300 s: DefaultTolerationSeconds admission plugin, for not-ready and unreachable NoExecute.
DEFAULT_TOLERATION_S = 300


def check_kind(obj: dict[str, Any]) -> str:
    """The object's kind after checking kind and apiVersion are ones the simulator serves."""
    kind = obj["kind"]
    if kind not in API_VERSIONS:
        raise ManifestError(
            f"kind {kind!r} is not supported by the simulator (it serves {', '.join(sorted(API_VERSIONS))}).",
            "Run this manifest on the kind cluster, or remove that document.",
        )
    if obj["apiVersion"] not in API_VERSIONS[kind]:
        raise ManifestError(
            f"apiVersion {obj['apiVersion']!r} of {kind} is not served here; use {API_VERSIONS[kind][0]}."
        )
    return kind


def _int_field(spec: dict, key: str, field: str, minimum: int = 0) -> None:
    # The schema made it an integer; its lower bound is the API server's validation.
    if spec.get(key) is not None and spec[key] < minimum:
        raise ManifestError(f"{field}.{key}: {spec[key]!r} must be a whole number >= {minimum}.")


def _selector_matches_template(spec: dict, field: str) -> None:
    selector = spec.get("selector")
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        raise ManifestError(f"{field}.selector is required (e.g. matchLabels: {{app: model}}).")
    tmpl_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not labels.matches(labels.parse(selector), tmpl_labels):
        raise ManifestError(
            f"{field}.template.metadata.labels: Invalid value: {tmpl_labels}: `selector` does not match template `labels`.",
            "Give the pod template the labels the selector asks for.",
        )


def _workload(obj: dict, kind: str) -> dict:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise ManifestError(f"{kind} {obj['metadata']['name']}: spec is required.")
    _int_field(spec, "replicas", "spec")
    _int_field(spec, "minReadySeconds", "spec")
    _int_field(spec, "revisionHistoryLimit", "spec")
    _int_field(spec, "progressDeadlineSeconds", "spec", 1)
    _selector_matches_template(spec, "spec")
    podspec.validate((spec.get("template") or {}).get("spec"), "spec.template.spec")
    out = copy.deepcopy(spec)
    out.setdefault("replicas", 1)
    out["template"]["spec"] = podspec.default(out["template"]["spec"], copy_first=False)
    if kind == "Deployment":
        _strategy(out)
        out.setdefault("revisionHistoryLimit", 10)
        out.setdefault("progressDeadlineSeconds", 600)
        if out["progressDeadlineSeconds"] <= out.get("minReadySeconds", 0):
            raise ManifestError(
                "spec.progressDeadlineSeconds must be greater than minReadySeconds."
            )
    return out


def _strategy(spec: dict) -> None:
    strategy = spec.setdefault("strategy", {})
    kind = strategy.setdefault("type", "RollingUpdate")
    if kind == "Recreate":
        if strategy.get("rollingUpdate"):
            raise ManifestError(
                "spec.strategy.rollingUpdate: may not be specified when strategy `type` is 'Recreate'."
            )
        return
    if kind != "RollingUpdate":
        raise ManifestError(f"spec.strategy.type: {kind!r} must be RollingUpdate or Recreate.")
    ru = strategy.setdefault("rollingUpdate", {})
    ru.setdefault("maxSurge", "25%")
    ru.setdefault("maxUnavailable", "25%")
    surge = rolling.scaled_value(ru["maxSurge"], 100, True, "spec.strategy.rollingUpdate.maxSurge")
    down = rolling.scaled_value(
        ru["maxUnavailable"], 100, False, "spec.strategy.rollingUpdate.maxUnavailable"
    )
    if surge == 0 and down == 0:
        raise ManifestError(
            "spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when maxSurge is 0.",
            "Allow at least one: e.g. maxSurge: 1, maxUnavailable: 0.",
        )
    if isinstance(ru["maxUnavailable"], str) and int(ru["maxUnavailable"][:-1]) > 100:
        raise ManifestError(
            "spec.strategy.rollingUpdate.maxUnavailable: should not be more than 100%."
        )


def _service(obj: dict) -> dict:
    spec = copy.deepcopy(obj.get("spec") or {})
    kind = spec.setdefault("type", "ClusterIP")
    if kind not in SERVICE_TYPES:
        raise ManifestError(f"spec.type: {kind!r} is not simulated (use ClusterIP or NodePort).")
    ports = spec.setdefault("ports", [])
    serviceports.admit(ports)
    for i, port in enumerate(ports):
        node_port = port.get("nodePort")
        if node_port and node_port not in NODE_PORTS:
            raise ManifestError(
                f"spec.ports[{i}].nodePort: Invalid value: {node_port}: provided port is not in the valid range. The range of valid ports is 30000-32767."
            )
    return spec


def _pdb(obj: dict) -> dict:
    spec = copy.deepcopy(obj.get("spec") or {})
    if ("minAvailable" in spec) == ("maxUnavailable" in spec):
        raise ManifestError("spec: set exactly one of minAvailable and maxUnavailable.")
    for key in ("minAvailable", "maxUnavailable"):
        if key in spec:
            rolling.scaled_value(spec[key], 100, True, f"spec.{key}")
    if "selector" not in spec:
        raise ManifestError("spec.selector is required.")
    labels.parse(spec["selector"])
    return spec


def admit(obj: dict[str, Any]) -> dict[str, Any]:
    """Validate ``obj`` and return its defaulted spec (or {} for kinds without one; a
    ConfigMap's or Secret's top-level content, helpers.sim.configdata)."""
    kind = check_kind(obj)
    if kind in ("Deployment", "ReplicaSet"):
        return _workload(obj, kind)
    if kind == "Pod":
        podspec.validate(obj.get("spec"), "spec")
        return podspec.default(obj["spec"])
    if kind == "Service":
        return _service(obj)
    if kind == "PodDisruptionBudget":
        return _pdb(obj)
    if kind in configdata.DATA_KINDS:
        return configdata.admit(obj)
    if kind == "HorizontalPodAutoscaler":
        try:
            from helpers.sim.hpa.validate import validate
        except ImportError:  # kubernetes (its quantity parser) absent: no HPA checks
            return copy.deepcopy(obj.get("spec") or {})
        validate(obj)
    return copy.deepcopy(obj.get("spec") or {})


def add_default_tolerations(spec: dict[str, Any]) -> dict[str, Any]:
    """The DefaultTolerationSeconds admission plugin: tolerate not-ready/unreachable 300 s."""
    tols = list(spec.get("tolerations") or [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key and t.get("effect") in (None, "NoExecute") for t in tols):
            tols.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_S,
                }
            )
    return {**spec, "tolerations": tols}
