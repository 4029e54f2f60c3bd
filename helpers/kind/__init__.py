"""The kind path: the course cluster's lifecycle, its pinned tools, preflight, and images.

``cluster`` creates and deletes the kind cluster "orchestra" (``make cluster``), ``tools``
installs the checksum-pinned kind and kubectl, ``preflight`` checks Docker first, ``cli``
runs kind and kubectl, ``images`` builds the model images and loads them into the nodes.
``python -m helpers.kind create|delete|status|tools`` and ``python -m helpers.kind images
build --load`` are the Makefile's entry points.

Example:
    >>> from helpers import kind
    >>> kind.status()["exists"]
    False
"""

from __future__ import annotations

from helpers.kind.cluster import create, delete, main, status

__all__ = ["create", "delete", "main", "status"]
