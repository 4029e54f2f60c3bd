"""Helm releases as the cluster stores them, read without helm: revisions, values, objects.

Helm 3 keeps every revision of a release in a Secret named ``sh.helm.release.v1.<name>.v<N>``
of type ``helm.sh/release.v1``, labelled ``owner=helm``, ``name``, ``status`` and
``version`` (helm.sh/docs/topics/advanced/#storage-backends). Its ``release`` key holds the
release as JSON, gzip-compressed and base64-encoded by helm (pkg/storage/driver/util.go),
inside the Secret's own base64: so reading it needs only the shared Cluster API, and a
check sees the same history on the simulator and on kind as ``helm history`` does.

Example:
    >>> [r.revision for r in releases(cluster, "model")]
    [1, 2]
    >>> deployed(cluster, "model").image("model")
    'orchestra/model:v2'
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from helpers.errors import LabError

SECRET_TYPE = "helm.sh/release.v1"
_GZIP_MAGIC = b"\x1f\x8b\x08"


@dataclass(frozen=True)
class Release:
    """One revision of a helm release.

    Attributes:
        name: the release's name (``helm install <name>``).
        revision: 1 for the install, +1 for every upgrade and rollback.
        status: helm's status: deployed, superseded, failed, pending-upgrade, ...
        description: "Install complete", "Upgrade complete", "Rollback to 2", ...
        values: the values given for this revision (``helm get values``): --set and -f.
        chart_values: the chart's own values.yaml.
        objects: the rendered manifest's objects (``helm get manifest``), as dicts.
    """

    name: str
    revision: int
    status: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    chart_values: dict[str, Any] = field(default_factory=dict)
    objects: tuple[dict[str, Any], ...] = ()

    def object(self, kind: str, name: str) -> dict[str, Any] | None:
        """The rendered object ``kind/name`` of this revision, or None."""
        for obj in self.objects:
            if obj.get("kind") == kind and (obj.get("metadata") or {}).get("name") == name:
                return obj
        return None

    def image(self, deployment: str) -> str | None:
        """The first container image of ``deployment`` in this revision's manifest."""
        obj = self.object("Deployment", deployment) or {}
        containers = ((obj.get("spec") or {}).get("template") or {}).get("spec", {})
        containers = containers.get("containers") or [{}]
        return containers[0].get("image")

    def replicas(self, deployment: str) -> int | None:
        """``spec.replicas`` of ``deployment`` in this revision (None: left to an HPA)."""
        obj = self.object("Deployment", deployment) or {}
        return (obj.get("spec") or {}).get("replicas")

    def rollback_of(self) -> int | None:
        """The revision this one rolled back to ("Rollback to 3" -> 3), else None."""
        prefix = "Rollback to "
        if self.description.startswith(prefix):
            number = self.description[len(prefix) :].strip()
            return int(number) if number.isdigit() else None
        return None


def decode(secret: dict[str, Any]) -> Release:
    """The release a ``helm.sh/release.v1`` Secret holds; LabError when it is not one."""
    meta = secret.get("metadata") or {}
    if secret.get("type") != SECRET_TYPE:
        raise LabError(
            f"secret/{meta.get('name')} is not a helm release (type {secret.get('type')!r}).",
            f"Helm's records have type {SECRET_TYPE}; list them with helm list.",
        )
    try:
        raw = base64.b64decode((secret.get("data") or {})["release"])  # the Secret's base64
        raw = base64.b64decode(raw)  # helm's own
        if raw.startswith(_GZIP_MAGIC):
            raw = gzip.decompress(raw)
        record = json.loads(raw)
    except (KeyError, binascii.Error, OSError, ValueError) as err:
        raise LabError(
            f"secret/{meta.get('name')} holds no readable helm release ({err}).",
            "It was changed by hand: helm history shows what helm itself can still read.",
        ) from None
    info = record.get("info") or {}
    chart = record.get("chart") or {}
    objects = tuple(
        doc for doc in yaml.safe_load_all(record.get("manifest") or "") if isinstance(doc, dict)
    )
    return Release(
        name=record.get("name", ""),
        revision=int(record.get("version", 0)),
        status=info.get("status", ""),
        description=info.get("description", ""),
        values=record.get("config") or {},
        chart_values=chart.get("values") or {},
        objects=objects,
    )


def releases(cluster, name: str, namespace: str = "default") -> list[Release]:
    """Every stored revision of release ``name``, oldest first (``[]``: none)."""
    secrets = cluster.list_objects(
        "Secret", namespace=namespace, selector=f"owner=helm,name={name}"
    )
    found = [decode(s) for s in secrets if s.get("type") == SECRET_TYPE]
    return sorted(found, key=lambda r: r.revision)


def deployed(cluster, name: str, namespace: str = "default") -> Release | None:
    """The revision helm calls deployed (the newest, if several), or None."""
    current = [r for r in releases(cluster, name, namespace) if r.status == "deployed"]
    return current[-1] if current else None


def record_names(cluster, name: str, namespace: str = "default") -> list[str]:
    """The names of release ``name``'s Secrets (what ``helm uninstall`` would delete)."""
    secrets = cluster.list_objects(
        "Secret", namespace=namespace, selector=f"owner=helm,name={name}"
    )
    return [s["metadata"]["name"] for s in secrets if s.get("type") == SECRET_TYPE]
