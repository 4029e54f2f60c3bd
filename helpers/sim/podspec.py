"""Pod specs: what the simulator honours, the API server's defaults, and a compact plan.

Every field is either honoured (it changes what the simulated kubelet or scheduler does),
inert (it has no effect a lab can see here: security contexts, service accounts) or
refused with a ManifestError naming it. Nothing is ignored silently.
(kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from orchestra_model.faults import FaultConfigError, Faults

from helpers.core.state import version_of
from helpers.errors import ManifestError
from helpers.sim import interpod, program
from helpers.sim.interpod import InterPod
from helpers.sim.probes import Hook, Probe, parse_hook, parse_probe
from helpers.sim.program import GATEWAY, IMAGE_PROGRAM, MODEL, Program
from helpers.sim.quantity import parse as parse_quantity
from helpers.sim.server import (
    DEFAULT_GATEWAY_TIMEOUT_S,
    DEFAULT_MODEL_URL,
    LAME_DUCK_S,
    SERVER_PORT,
)

POD_KEYS = {
    "containers", "terminationGracePeriodSeconds", "restartPolicy", "nodeSelector",
    "tolerations", "affinity", "nodeName", "topologySpreadConstraints",
    # inert here: no effect the simulator could show
    "securityContext", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
    "dnsPolicy", "enableServiceLinks", "schedulerName", "imagePullSecrets", "hostname",
    "subdomain", "volumes", "priority",
}  # fmt: skip
CONTAINER_KEYS = {
    "name", "image", "imagePullPolicy", "ports", "env", "envFrom", "resources", "readinessProbe",
    "livenessProbe", "startupProbe", "lifecycle", "command", "args",
    # inert here
    "securityContext", "volumeMounts", "terminationMessagePath", "terminationMessagePolicy",
    "workingDir",
}  # fmt: skip
RESOURCE_NAMES = {"cpu", "memory", "ephemeral-storage"}
TOLERATION_OPERATORS = ("Exists", "Equal")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# 30 s: the default terminationGracePeriodSeconds.
DEFAULT_GRACE_S = 30


@dataclass(frozen=True)
class PodPlan:
    """What the kubelet and scheduler need from a pod spec, parsed once."""

    container: str
    image: str
    version: str
    cpu_request: float | None
    memory_request: float | None
    cpu_limit: float | None
    memory_limit: float | None
    readiness: Probe | None
    liveness: Probe | None
    startup: Probe | None
    pre_stop: Hook | None
    grace: float
    restart_policy: str
    faults: Faults
    node_selector: tuple
    affinity_terms: tuple
    tolerations: tuple
    interpod: InterPod | None = None
    lame_duck: float = 2.0  # SHUTDOWN_DRAIN_SECONDS of the model server
    program: Program = IMAGE_PROGRAM  # the container's command and args
    listen_port: int = SERVER_PORT  # $PORT of the model server (its image's default: 8080)
    token: str = ""  # $MODEL_TOKEN: the bearer token the model asks for / the gateway sends
    model_url: str = DEFAULT_MODEL_URL  # $MODEL_URL: where the gateway sends /predict
    upstream_timeout: float = DEFAULT_GATEWAY_TIMEOUT_S  # $GATEWAY_TIMEOUT_S of the gateway


def _refuse_unknown(obj: dict, allowed: set, field: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ManifestError(
                f"{field}.{key} is not supported by the simulator.",
                f"Remove {field}.{key}, or run this lab on the kind cluster.",
            )


def validate(spec: dict[str, Any], field: str = "spec") -> None:
    """Raise ManifestError for a pod spec the simulator cannot honour."""
    if not isinstance(spec, dict):
        raise ManifestError(f"{field} must be a mapping.")
    _refuse_unknown(spec, POD_KEYS, field)
    containers = spec.get("containers")
    if not containers:
        raise ManifestError(f"{field}.containers: at least one container is required.")
    if len(containers) != 1:
        raise ManifestError(
            f"{field}.containers: the simulator runs one container per pod, not {len(containers)}.",
            "Keep one container, or run this lab on the kind cluster.",
        )
    if spec.get("schedulerName", "default-scheduler") != "default-scheduler":
        raise ManifestError(f"{field}.schedulerName: only default-scheduler exists here.")
    for v in spec.get("volumes") or []:
        if set(v) - {"name", "emptyDir"}:
            raise ManifestError(f"{field}.volumes[{v.get('name')}]: only emptyDir is simulated.")
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        raise ManifestError(
            f"{field}.restartPolicy: {policy!r} must be Always, OnFailure or Never."
        )
    grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S)
    if not isinstance(grace, int) or grace < 0:
        raise ManifestError(f"{field}.terminationGracePeriodSeconds: {grace!r} must be >= 0.")
    for i, tol in enumerate(spec.get("tolerations") or []):
        if tol.get("operator", "Equal") not in TOLERATION_OPERATORS:
            raise ManifestError(f"{field}.tolerations[{i}].operator: use Exists or Equal.")
        if tol.get("effect") not in (None, "", *EFFECTS):
            raise ManifestError(f"{field}.tolerations[{i}].effect: {tol.get('effect')!r}.")
    _validate_affinity(spec.get("affinity"), f"{field}.affinity")
    plan(spec, field)  # parses containers, probes, quantities and fault variables


def _validate_affinity(affinity, field: str) -> None:
    if not affinity:
        return
    node = affinity.get("nodeAffinity") or {}
    _refuse_unknown(
        node, {"requiredDuringSchedulingIgnoredDuringExecution"}, f"{field}.nodeAffinity"
    )


def _container(c: dict, field: str) -> None:
    _refuse_unknown(c, CONTAINER_KEYS, field)
    for key in ("name", "image"):
        if not c.get(key):
            raise ManifestError(f"{field}.{key} is required.")
    if c.get("imagePullPolicy", "IfNotPresent") not in ("Always", "IfNotPresent", "Never"):
        raise ManifestError(f"{field}.imagePullPolicy: use Always, IfNotPresent or Never.")
    for i, env in enumerate(c.get("env") or []):
        source = env.get("valueFrom") or {}
        if set(source) - {"fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"}:
            raise ManifestError(
                f"{field}.env[{i}].valueFrom: only fieldRef, resourceFieldRef, configMapKeyRef "
                "and secretKeyRef are simulated."
            )
    for i, source in enumerate(c.get("envFrom") or []):
        refs = [key for key in ("configMapRef", "secretRef") if key in source]
        if len(refs) != 1:
            raise ManifestError(
                f"{field}.envFrom[{i}]: Invalid value: must specify one of: `configMapRef` or `secretRef`",
                "e.g. envFrom: [{configMapRef: {name: model-config}}]",
            )
    pre = (c.get("lifecycle") or {}).keys() - {"preStop"}
    if pre:
        raise ManifestError(
            f"{field}.lifecycle.{sorted(pre)[0]} is not supported by the simulator."
        )


def _resources(c: dict, field: str) -> tuple[dict, dict]:
    res = c.get("resources") or {}
    _refuse_unknown(res, {"requests", "limits"}, f"{field}.resources")
    out: dict[str, dict] = {"requests": {}, "limits": {}}
    for part in ("requests", "limits"):
        for name, value in (res.get(part) or {}).items():
            if name not in RESOURCE_NAMES:
                raise ManifestError(f"{field}.resources.{part}.{name}: no node here offers it.")
            out[part][name] = parse_quantity(value, f"{field}.resources.{part}.{name}")
    # The API server defaults a missing request to the limit.
    requests = {**out["limits"], **out["requests"]}
    for name, req in requests.items():
        lim = out["limits"].get(name)
        if lim is not None and req > lim:
            raise ManifestError(
                f"{field}.resources.requests.{name}: must be less than or equal to {name} limit."
            )
    return requests, out["limits"]


def env_settings(env: dict[str, str], field: str, app: str = MODEL) -> dict[str, Any]:
    """The server's settings read from its environment: faults (MODEL_FAULT_*, the model
    only), lame_duck (SHUTDOWN_DRAIN_SECONDS), listen_port (PORT), token (MODEL_TOKEN), and
    the gateway's model_url (MODEL_URL) and upstream_timeout (GATEWAY_TIMEOUT_S);
    ManifestError naming ``field`` for a value the server would refuse."""
    settings: dict[str, Any] = {"token": env.get("MODEL_TOKEN", "")}
    if app == GATEWAY:
        faults = Faults()  # the gateway reads no MODEL_FAULT_* variable
        settings["model_url"] = env.get("MODEL_URL", DEFAULT_MODEL_URL)
        try:
            timeout = float(env.get("GATEWAY_TIMEOUT_S", DEFAULT_GATEWAY_TIMEOUT_S))
        except ValueError:
            timeout = -1.0
        if not 0 < timeout < math.inf:
            raise ManifestError(f"{field}.env: GATEWAY_TIMEOUT_S must be a number of seconds > 0.")
        settings["upstream_timeout"] = timeout
    else:
        try:
            faults = Faults.from_env(env)
        except FaultConfigError as err:
            raise ManifestError(f"{field}.env: {err}.") from None
    try:
        lame_duck = float(env.get("SHUTDOWN_DRAIN_SECONDS", LAME_DUCK_S))
    except ValueError:
        lame_duck = -1.0
    if not lame_duck >= 0:
        raise ManifestError(
            f"{field}.env: SHUTDOWN_DRAIN_SECONDS must be a number of seconds >= 0."
        )
    listen = env.get("PORT", str(SERVER_PORT))
    if not listen.isdigit() or not 1 <= int(listen) <= 65535:
        raise ManifestError(f"{field}.env: PORT must be a port number (the server listens on it).")
    return {**settings, "faults": faults, "lame_duck": lame_duck, "listen_port": int(listen)}


def plan(spec: dict[str, Any], field: str = "spec") -> PodPlan:
    """Parse a (defaulted or raw) pod spec into a PodPlan; ManifestError naming the field."""
    c = spec["containers"][0]
    cf = f"{field}.containers[0]"
    _container(c, cf)
    requests, limits = _resources(c, cf)
    # Literal values only: references are read by the kubelet at start (envsources).
    env = {
        e["name"]: str(e.get("value", ""))
        for e in c.get("env") or []
        if "name" in e and "valueFrom" not in e
    }
    run = program.parse(c.get("command"), c.get("args"), cf)
    settings = env_settings(env, cf, run.app)
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or [] if p.get("name")}
    terms = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    return PodPlan(
        container=c["name"],
        image=c["image"],
        version=version_of(c["image"]),
        cpu_request=requests.get("cpu"),
        memory_request=requests.get("memory"),
        cpu_limit=limits.get("cpu"),
        memory_limit=limits.get("memory"),
        readiness=parse_probe(c.get("readinessProbe"), ports, f"{cf}.readinessProbe"),
        liveness=parse_probe(c.get("livenessProbe"), ports, f"{cf}.livenessProbe"),
        startup=parse_probe(c.get("startupProbe"), ports, f"{cf}.startupProbe"),
        pre_stop=parse_hook((c.get("lifecycle") or {}).get("preStop"), ports, f"{cf}.lifecycle"),
        grace=float(spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S)),
        restart_policy=spec.get("restartPolicy", "Always"),
        node_selector=tuple(sorted((spec.get("nodeSelector") or {}).items())),
        affinity_terms=tuple(_terms(terms.get("nodeSelectorTerms") or [])),
        tolerations=tuple(_toleration(t) for t in spec.get("tolerations") or []),
        interpod=interpod.parse(spec, field),
        program=run,
        **settings,
    )


def _terms(terms: list) -> list:
    out = []
    for term in terms:
        exprs = [
            (e["key"], e["operator"], tuple(e.get("values") or []))
            for e in term.get("matchExpressions") or []
        ]
        fields = [
            ("metadata.name", e["operator"], tuple(e.get("values") or []))
            for e in term.get("matchFields") or []
        ]
        out.append(tuple(exprs + fields))
    return out


def _toleration(t: dict) -> tuple:
    secs = t.get("tolerationSeconds")
    return (t.get("key"), t.get("operator", "Equal"), t.get("value"), t.get("effect"), secs)


def default(spec: dict[str, Any], copy_first: bool = True) -> dict[str, Any]:
    """A pod spec with the API server's defaults filled in (a copy unless ``copy_first`` is False)."""
    out = copy.deepcopy(spec) if copy_first else spec
    out.setdefault("restartPolicy", "Always")
    out.setdefault("terminationGracePeriodSeconds", DEFAULT_GRACE_S)
    out.setdefault("dnsPolicy", "ClusterFirst")
    out.setdefault("schedulerName", "default-scheduler")
    out.setdefault("securityContext", {})
    for c in out.get("containers") or []:
        image = str(c.get("image", ""))
        latest = version_of(image) == "latest"
        c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        c.setdefault("resources", {})
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        for key in ("readinessProbe", "livenessProbe", "startupProbe"):
            if c.get(key):
                probe = c[key]
                for name, value in (
                    ("timeoutSeconds", 1), ("periodSeconds", 10),
                    ("successThreshold", 1), ("failureThreshold", 3),
                ):  # fmt: skip
                    probe.setdefault(name, value)
                if "httpGet" in probe:
                    probe["httpGet"].setdefault("path", "/")
                    probe["httpGet"].setdefault("scheme", "HTTP")
    return out
