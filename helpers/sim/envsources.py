"""Environment variables from ConfigMaps and Secrets, resolved as the kubelet resolves them.

When a container starts, the kubelet reads the ConfigMaps and Secrets its ``env``
(``valueFrom.configMapKeyRef`` / ``secretKeyRef``) and ``envFrom`` (``configMapRef`` /
``secretRef``, with an optional ``prefix``) name, in the pod's namespace. A missing object
or key that is not ``optional: true`` keeps the container from starting: it waits with
reason ``CreateContainerConfigError`` and the kubelet tries again on its next sync of the
pod. The values are read once, at start: editing the ConfigMap later changes nothing in a
running container (a restart, e.g. `kubectl rollout restart`, reads it again). Later
entries win: ``env`` over ``envFrom``, and among ``envFrom`` the last source.
(kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/,
kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables;
the messages are the kubelet's, pkg/kubelet/kubelet_pods.go makeEnvironmentVariables.)
"""

from __future__ import annotations

import base64
from typing import Any

REF_KINDS = {"configMapKeyRef": "ConfigMap", "secretKeyRef": "Secret",
             "configMapRef": "ConfigMap", "secretRef": "Secret"}  # fmt: skip


class ConfigError(Exception):
    """Why the container cannot start: the kubelet's message (e.g. ``configmap "x" not found``)."""


def uses_sources(container: dict[str, Any]) -> bool:
    """Whether the container reads ConfigMaps or Secrets into its environment."""
    if container.get("envFrom"):
        return True
    return any(
        ref in (e.get("valueFrom") or {})
        for e in container.get("env") or []
        for ref in ("configMapKeyRef", "secretKeyRef")
    )


def _values(store, kind: str, name: str, namespace: str) -> dict[str, str] | None:
    obj = store.find(kind, name, namespace)
    if obj is None:
        return None
    if kind == "Secret":
        return {
            k: base64.b64decode(v).decode(errors="replace")
            for k, v in (obj.spec.get("data") or {}).items()
        }
    values = dict(obj.spec.get("data") or {})
    for key, raw in (obj.spec.get("binaryData") or {}).items():
        values[key] = base64.b64decode(raw).decode(errors="replace")
    return values


def resolve(store, container: dict[str, Any], namespace: str) -> dict[str, str]:
    """The container's environment with every ConfigMap and Secret reference read.

    Literal ``value`` entries are kept; fieldRef and resourceFieldRef entries are left
    out (the model server reads none of them).

    Raises:
        ConfigError: a referenced object or key is missing and not optional.
    """
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref_name = "configMapRef" if "configMapRef" in source else "secretRef"
        ref = source.get(ref_name) or {}
        kind = REF_KINDS[ref_name]
        values = _values(store, kind, ref.get("name", ""), namespace)
        if values is None:
            if ref.get("optional"):
                continue
            raise ConfigError(f'{kind.lower()} "{ref.get("name", "")}" not found')
        prefix = source.get("prefix", "")
        env.update({prefix + k: v for k, v in values.items()})
    for entry in container.get("env") or []:
        if "value" in entry or not entry.get("valueFrom"):
            env[entry["name"]] = str(entry.get("value", ""))
            continue
        source = entry["valueFrom"]
        ref_name = next((r for r in ("configMapKeyRef", "secretKeyRef") if r in source), None)
        if ref_name is None:
            continue  # fieldRef, resourceFieldRef
        ref, kind = source[ref_name], REF_KINDS[ref_name]
        values = _values(store, kind, ref.get("name", ""), namespace)
        if values is None or ref.get("key") not in values:
            if ref.get("optional"):
                continue
            if values is None:
                raise ConfigError(f'{kind.lower()} "{ref.get("name", "")}" not found')
            raise ConfigError(
                f"couldn't find key {ref.get('key')} in {kind} {namespace}/{ref.get('name')}"
            )
        env[entry["name"]] = values[ref["key"]]
    return env
