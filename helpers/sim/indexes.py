"""The store's indexers: objects by namespace and by label, as client-go informers index them.

A question about one object, or about what one selector picks, then costs what it finds,
not what the cluster holds: listing a Deployment's ReplicaSets (``app=model``) among
2,000 others, or a Service's pods among 30,000. The owner index lives in the store itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Indexes:
    """Objects by (kind, namespace) and by (kind, namespace, label key, label value).

    Example:
        >>> idx = Indexes()
        >>> idx.add(pod)  # a pod labelled app=model in "default"
        >>> [o.name for o in idx.labelled("Pod", "default", "app", {"model"})]
        ['model-7d9f8-abcde']
    """

    def __init__(self):
        self._by_namespace: dict[tuple, dict[str, Any]] = {}  # (kind, ns) -> name -> obj
        self._by_label: dict[tuple, dict[str, Any]] = {}  # (kind, ns, key, value) -> uid -> obj

    def add(self, obj) -> None:
        """Index a new object."""
        key = (obj.kind, obj.namespace)
        names = self._by_namespace.get(key)
        if names is None:
            names = self._by_namespace[key] = {}
        names[obj.name] = obj
        self._add_labels(obj, obj.labels)

    def remove(self, obj) -> None:
        """Forget an object."""
        key = (obj.kind, obj.namespace)
        names = self._by_namespace.get(key)
        if names is not None:
            names.pop(obj.name, None)
            if not names:
                del self._by_namespace[key]
        self._remove_labels(obj, obj.labels)

    def relabel(self, obj, old: dict[str, str]) -> None:
        """The object's labels changed from ``old`` to ``obj.labels``."""
        self._remove_labels(obj, old)
        self._add_labels(obj, obj.labels)

    def in_namespace(self, kind: str, namespace: str | None) -> Iterable:
        """Objects of ``kind`` in ``namespace`` (unordered)."""
        return self._by_namespace.get((kind, namespace), {}).values()

    def labelled(self, kind: str, namespace: str | None, key: str, values) -> list:
        """Objects of ``kind`` in ``namespace`` whose label ``key`` is one of ``values``."""
        out: dict[str, Any] = {}
        for value in values:
            out.update(self._by_label.get((kind, namespace, key, value), {}))
        return list(out.values())

    def _add_labels(self, obj, labels: dict[str, str]) -> None:
        index = self._by_label
        for k, v in labels.items():
            if isinstance(v, str):  # no selector picks another type (an invalid label)
                key = (obj.kind, obj.namespace, k, v)
                uids = index.get(key)
                if uids is None:
                    uids = index[key] = {}
                uids[obj.uid] = obj

    def _remove_labels(self, obj, labels: dict[str, str]) -> None:
        index = self._by_label
        for k, v in labels.items():
            uids = index.get((obj.kind, obj.namespace, k, v)) if isinstance(v, str) else None
            if uids is not None:
                uids.pop(obj.uid, None)
                if not uids:
                    del index[(obj.kind, obj.namespace, k, v)]
