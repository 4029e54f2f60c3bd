"""Reading manifests: a path, YAML text, a dict or a list of dicts, into a list of objects.

Both backends call ``load`` so a manifest means the same thing on either: every object is
checked against Kubernetes' schema (helpers.core.validation) as kubectl and the API server
check it. Errors name the document and the field, and say how to fix it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from helpers.core import validation
from helpers.core.paths import MANIFESTS, REPO
from helpers.errors import ManifestError

Source = str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]]


def _from_path(path: Path) -> list[tuple[str, Any]]:
    if path.is_dir():
        docs = []
        for p in sorted(path.glob("*.y*ml")):
            docs.extend(_from_text(p.read_text(), origin=str(p.name)))
        return docs
    return _from_text(path.read_text(), origin=path.name)


def _from_text(text: str, origin: str) -> list[tuple[str, Any]]:
    """(origin, document) pairs: kubectl names a document's file in its errors."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ManifestError(
            f"{origin} is not valid YAML{where}: {getattr(err, 'problem', err)}.",
            "Check the indentation (spaces, not tabs) around that line.",
        ) from None
    out = []
    for doc in docs:
        if isinstance(doc, Mapping) and doc.get("kind") == "List":
            out.extend((origin, item) for item in doc.get("items") or [])
        else:
            out.append((origin, doc))
    return out


def _looks_like_path(text: str) -> bool:
    if "\n" in text:
        return False
    if Path(text).is_dir():  # "cluster/manifests/": every YAML file in it
        return True
    return ":" not in text.split("/")[-1] and text.endswith((".yaml", ".yml"))


def _path_hint(path: Path) -> str:
    """What to do about a missing manifest path (kubectl says only that it does not exist).

    A notebook runs in labs/, so a path written from the repository root is the usual miss:
    name the path that does exist from here.
    """
    if not path.is_absolute() and (REPO / path).exists():
        fixed = os.path.relpath(REPO / path, Path.cwd())
        return (
            f"Relative paths start where this code runs ({Path.cwd()}); from here it is "
            f'"{fixed}". Or name a course manifest anywhere: helpers.lab.manifest("{path.name}").'
        )
    return (
        f"Check the path (relative to {Path.cwd()}); the course manifests are in "
        f"{MANIFESTS}: helpers.lab.manifest(<file name>) finds them from anywhere."
    )


def load(source: Source) -> list[dict[str, Any]]:
    """Read ``source`` into a list of Kubernetes objects (deep copies, never the caller's).

    Example:
        >>> load("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: demo}\\n")[0]["kind"]
        'Namespace'
    """
    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        if not path.exists():
            raise ManifestError(f'the path "{path}" does not exist', _path_hint(path))
        docs = _from_path(path)
    elif isinstance(source, str):
        docs = _from_text(source, origin="STDIN")  # what kubectl calls `apply -f -` input
    elif isinstance(source, Mapping):
        docs = [("STDIN", copy.deepcopy(dict(source)))]
    else:
        docs = [("STDIN", copy.deepcopy(dict(d)) if isinstance(d, Mapping) else d) for d in source]
    for i, (origin, doc) in enumerate(docs):
        check_object(doc, where=f"document {i + 1}", source=origin)
    return [doc for _, doc in docs]


def check_object(obj: Any, where: str = "the object", source: str | None = "STDIN") -> None:
    """Raise ManifestError unless ``obj`` has apiVersion, kind and metadata.name and passes
    Kubernetes' schema (``source``: the file kubectl would name, see validation.validate)."""
    if not isinstance(obj, Mapping):
        raise ManifestError(f"{where} is a {type(obj).__name__}, not a Kubernetes object.")
    for field in ("apiVersion", "kind"):
        if not obj.get(field):
            raise ManifestError(
                f"{where} has no {field}.", "Every object needs apiVersion and kind."
            )
        if not isinstance(obj[field], str):
            raise ManifestError(
                f"{where}: {field} is a {type(obj[field]).__name__}, not a string.",
                "Write it as in the docs, e.g. apiVersion: apps/v1 and kind: Deployment.",
            )
    validation.validate(obj, source)
    meta = obj.get("metadata") or {}
    if not meta.get("name"):
        raise ManifestError(
            f"{where} ({obj['kind']}) has no metadata.name.", "Add metadata: {name: <a-name>}."
        )


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386): maps merge, None deletes, everything else replaces.

    The semantics of ``Cluster.patch`` on both backends (lists replace whole).

    Example:
        >>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
        {'a': 1, 'b': {'d': 3}}
    """
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def ref(obj: Mapping[str, Any]) -> str:
    """The kubectl-style reference of an object: ``deployment/model``."""
    return f"{obj['kind'].lower()}/{obj['metadata']['name']}"
