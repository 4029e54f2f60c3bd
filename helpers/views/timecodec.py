"""The compact encoding of view-state rows, for ClusterView's recording (see timeline.py).

A recorded row is a short tuple of numbers: every string becomes its index in one string
table (``Strings``), booleans become 0 and 1, and whatever viewstate derives (a chip's
colour, label and short name, a deployment's colour, the legend) is left out and derived
again on decoding. A pod is 7 small numbers (about 20 bytes as JSON) instead of a
300-byte dict. Decoding calls the viewstate functions themselves, so a replayed picture is
exactly the live one.
"""

from __future__ import annotations

import json
from typing import Any

from helpers.views.viewstate import (
    FAILED_STATES,
    OTHER_COLORS,
    STATE_LABELS,
    VERSION_COLORS,
    pod_view,
    version_color,
)

# Operation codes: set or remove one row of a section, or append one event.
POD, POD_GONE, NODE, NODE_GONE, DEP, DEP_GONE, EVENT = range(7)
SECTIONS = {"pods": (POD, POD_GONE), "nodes": (NODE, NODE_GONE), "deployments": (DEP, DEP_GONE)}
SECTION_OF = {code: name for name, codes in SECTIONS.items() for code in codes}
SHORT = {"pods": "p", "nodes": "n", "deployments": "d"}

# Which fields of each encoded tuple are string indexes (for re-numbering a string table).
STRING_FIELDS = {POD: (0, 1, 3, 6), NODE: (0, 1, 4, 7), DEP: (0, 7, 8), EVENT: (1, 2, 3, 4)}
TAINTS = 9  # a node's taints: a list of string indexes


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (how the recording is measured and bounded)."""
    return len(json.dumps(value, separators=(",", ":")))


class Strings:
    """A string table: each distinct string is stored once and referred to by its index.

    Example:
        >>> table = Strings()
        >>> table.id("worker-1"), table.id("worker-1"), table.list
        (0, 0, ['worker-1'])
    """

    def __init__(self, strings: list[str] | None = None):
        self.list: list[str] = list(strings or [])
        self.ids = {s: i for i, s in enumerate(self.list)}
        self.bytes = sum(json_size(s) + 1 for s in self.list)

    def id(self, text: str) -> int:
        found = self.ids.get(text)
        if found is None:
            found = self.ids[text] = len(self.list)
            self.list.append(text)
            self.bytes += json_size(text) + 1
        return found


def encode(code: int, view: dict[str, Any], s: Strings) -> tuple:
    """One view row (or event) as a tuple of numbers, for the operation ``code``.

    Example:
        >>> encode(POD, pod_view(row), Strings())
        (0, 1, 1, 2, 1, 0, 3)
    """
    if code == POD:
        return (
            s.id(view["node"]),
            s.id(view["status"]),
            int(view["state"] == "Ready"),
            s.id(view["version"]),
            int(view["endpoint"]),
            view["restarts"],
            s.id(view["owner"]),
        )
    if code == NODE:
        cpu, mem = view["cpu"], view["memory"]
        return (
            s.id(view["role"]),
            s.id(view["ready"]),
            int(view["cordoned"]),
            cpu["frac"],
            s.id(cpu["text"]),
            int(cpu["over"]),
            mem["frac"],
            s.id(mem["text"]),
            int(mem["over"]),
            [s.id(t) for t in view["taints"]],
        )
    if code == DEP:
        fields = ("desired", "updated", "available", "ready", "total", "revision")
        return (
            s.id(view["version"]),
            *(view[f] for f in fields),
            s.id(view["verdict"]),
            s.id(view["reason"]),
        )
    # An event: its own time in tenths of a second (event_view rounds to 0.1 s).
    return (
        round(view["time"] * 10),
        s.id(view["type"]),
        s.id(view["object"]),
        s.id(view["reason"]),
        s.id(view["message"]),
    )


def decode(code: int, key: str, f: tuple | list, strings: list[str]) -> dict[str, Any]:
    """The view row (or event) that ``encode`` turned into ``f``.

    Example:
        >>> decode(POD, "default/model-a", encode(POD, view, table), table.list) == view
        True
    """
    if code == POD:
        namespace, name = key.split("/", 1)
        row = {
            "name": name,
            "namespace": namespace,
            "node": strings[f[0]],
            "status": strings[f[1]],
            # pod_state shows Running as Ready or NotReady: the flag says which.
            "ready": bool(f[2]),
            "version": strings[f[3]],
            "restarts": f[5],
            "owner": strings[f[6]],
        }
        return pod_view(row, endpoint=bool(f[4]))
    if code == NODE:
        return {
            "name": key,
            "role": strings[f[0]],
            "ready": strings[f[1]],
            "cordoned": bool(f[2]),
            "cpu": {"frac": f[3], "text": strings[f[4]], "over": bool(f[5])},
            "memory": {"frac": f[6], "text": strings[f[7]], "over": bool(f[8])},
            "taints": [strings[t] for t in f[TAINTS]],
        }
    if code == DEP:
        version = strings[f[0]]
        return {
            "key": key,
            "name": key.split("/", 1)[1],
            "version": version,
            "color": version_color(version),
            "desired": f[1],
            "updated": f[2],
            "available": f[3],
            "ready": f[4],
            "total": f[5],
            "revision": f[6],
            "verdict": strings[f[7]],
            "reason": strings[f[8]],
        }
    return {
        "time": f[0] / 10,
        "type": strings[f[1]],
        "object": strings[f[2]],
        "reason": strings[f[3]],
        "message": strings[f[4]],
    }


def renumber(code: int, f: tuple | list, old: list[str], new: Strings) -> tuple:
    """``f`` with its string indexes moved from the table ``old`` to the table ``new``."""
    out = list(f)
    for i in STRING_FIELDS.get(code, ()):
        out[i] = new.id(old[f[i]])
    if code == NODE:
        out[TAINTS] = [new.id(old[t]) for t in f[TAINTS]]
    return tuple(out)


def derivations() -> dict[str, Any]:
    """What a browser needs to derive chips as viewstate does: labels, failed states, colours.

    Example:
        >>> derivations()["colors"]["v2"]
        '#54a24b'
    """
    return {
        "labels": STATE_LABELS,
        "failed": sorted(FAILED_STATES),
        "colors": VERSION_COLORS,
        # Other versions: OTHER_COLORS[crc32(version) % 6], as version_color computes it.
        "others": list(OTHER_COLORS),
    }
