"""What `kubectl diff` prints: the live objects against what an apply would make of them.

`kubectl diff -f <file>` asks the API server for a dry-run apply of each object (nothing
is stored), then runs ``diff -u -N`` on the two as YAML, one file per object named
``<group>.<version>.<Kind>.<namespace>.<name>`` in a LIVE and a MERGED folder; an object
the apply would create has an empty live side. managedFields are left out of both
(kubernetes.io/docs/reference/kubectl/generated/kubectl_diff/). Both backends compute the
merged objects with the server's own dry run (helpers.core.api.Cluster.diff), so the
difference is the cluster's, not a guess made on this side.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml

# Not shown by kubectl diff (its "--show-managed-fields" is false by default).
HIDDEN_METADATA = ("managedFields",)


class ManifestDiff(str):
    """The text of a diff (``diff -u`` format), shown as itself in a notebook.

    ``bool(d)`` is False when an apply would change nothing, as `kubectl diff` exits 0.

    Example:
        >>> d = cluster.diff("work/model-deployment.yaml")
        >>> print(d)            # -  replicas: 3 / +  replicas: 5
        >>> bool(d)             # True: the apply would change something
    """

    def __repr__(self) -> str:
        return str(self) if self else "(no differences: applying would change nothing)"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the text, not a quoted str
        printer.text(repr(self))


def file_name(obj: dict[str, Any]) -> str:
    """``apps.v1.Deployment.default.model``, as kubectl names an object's diff file."""
    group_version = obj.get("apiVersion", "")
    group, _, version = group_version.rpartition("/")
    meta = obj.get("metadata") or {}
    parts = [group, version, obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")]
    return ".".join(p for p in parts if p)


def _shown(obj: dict[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in HIDDEN_METADATA}
    text = yaml.safe_dump({**obj, "metadata": meta}, sort_keys=True, default_flow_style=False)
    return text.splitlines(keepends=True)


def unified(pairs: Iterable[tuple[dict[str, Any] | None, dict[str, Any]]]) -> ManifestDiff:
    """The ``diff -u`` text of (live or None, merged) object pairs, unchanged ones left out.

    Example:
        >>> unified([({"kind": "X", "spec": {"a": 1}}, {"kind": "X", "spec": {"a": 2}})])
    """
    chunks = []
    for live, merged in pairs:
        name = file_name(merged)
        lines = list(
            difflib.unified_diff(
                _shown(live), _shown(merged), fromfile=f"LIVE/{name}", tofile=f"MERGED/{name}"
            )
        )
        chunks.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return ManifestDiff("".join(chunks))
