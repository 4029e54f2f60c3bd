"""Server-side Table output (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``).

``kubectl get`` asks for Tables and prints their cells; the AGE cells are computed here
from the simulator's clock, so a paused virtual clock shows ages that do not move.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable

from helpers.sim.clock import EPOCH_SECONDS
from helpers.sim.httpapi import printers

_PARSED: dict[str, float] = {}


def wants_table(accept: str) -> bool:
    """True when the Accept header's first choice is a meta.k8s.io Table."""
    first = accept.split(",")[0].replace(" ", "")
    return "as=Table" in first and "g=meta.k8s.io" in first


def human_duration(seconds: float) -> str:
    """A duration as kubectl's AGE column prints it (apimachinery's HumanDuration).

    Example:
        >>> human_duration(45), human_duration(185), human_duration(3 * 3600 + 60)
        ('45s', '3m5s', '3h1m')
    """
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 120:
        return f"{max(s, 0)}s"
    minutes, hours = s // 60, s // 3600
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    return f"{hours // (24 * 365)}y"


def age_function(now: float) -> Callable[[str | None], str]:
    """``age(timestamp)``: the time since an RFC 3339 timestamp, at virtual time ``now``."""
    wall_now = EPOCH_SECONDS + now

    def age(stamp: str | None) -> str:
        if not stamp:
            return "<unknown>"
        t = _PARSED.get(stamp)
        if t is None:
            t = _PARSED[stamp] = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        return human_duration(wall_now - t)

    return age


def table(kind: str, objs: list[dict], now: float, rv: str, include: str = "Metadata") -> dict:
    """A meta.k8s.io/v1 Table of ``objs``; each row carries the object's metadata
    (``includeObject=Metadata``, the default) for kubectl's NAMESPACE column and labels."""
    age = age_function(now)
    definitions = [
        {"name": name, "type": type_, "format": "name" if name == "Name" else "",
         "description": name, "priority": priority}
        for name, type_, priority in printers.columns(kind)
    ]  # fmt: skip
    rows = []
    for obj in objs:
        row: dict = {"cells": printers.cells(kind, obj, age)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": definitions,
        "rows": rows,
    }
