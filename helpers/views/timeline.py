"""Timeline: every change a ClusterView draws, with its cluster time, so it can be replayed.

The recording is a keyframe (the view state when recording began) plus one small
operation per change: set or remove one pod, node or deployment, or append one event,
each a tuple of numbers (timecodec.py) stamped with the cluster time in milliseconds.
``at(t)`` rebuilds the view state at any instant from the nearest in-memory keyframe (one
every ``keyframe_s`` seconds of cluster time), so a seek costs at most that much replay.

The size is bounded: past ``max_bytes`` (as compact JSON), older history keeps only what
changed between keyframe times (the older half of the time span first, then more;
``at(t)`` stays exact at those times and for everything newer; timeops.thin), and if that
is not enough the oldest operations are folded into the first keyframe (re-keyed).
Recording never fails, and costs O(1) per change (amortised: a compaction frees 30 % of
the bound).
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from helpers.views import timecodec as tc
from helpers.views.timeops import (
    NOTABLE_REASONS,
    apply,
    copy_state,
    op_size,
    thin,
    unwire,
    wire,
)
from helpers.views.viewstate import header_view, versions_of

# 900 kB: a 10-minute lab section at 100 nodes and 1,000 pods stays under 1 MB.
MAX_BYTES = 900_000
# 10 s of cluster time between keyframes: a seek replays at most 10 s of changes, and
# compacted history keeps one picture per 10 s (a rollout step takes a few seconds).
KEYFRAME_S = 10.0
# A compaction brings the size down to this share of the bound, so it runs rarely.
COMPACT_TO = 0.7
# Bytes the running estimate may miss (a new version's colour, the end time's digits).
SLACK = 512


def ms(t: float) -> int:
    """Cluster seconds as whole milliseconds (how the recording stamps changes)."""
    return round(float(t) * 1000)


class Timeline:
    """The recorded history of a view state (ClusterView keeps one: ``view.timeline``).

    Args:
        state: the view state when recording starts (viewstate.view_state).
        max_bytes: the bound on the recording's size as compact JSON.
        keyframe_s: cluster seconds between keyframes.

    Example:
        >>> timeline = Timeline(view_state(cluster.snapshot()))
        >>> timeline.record(12.5, "pods", key, pod_view(row))
        >>> timeline.at(12.5)["pods"][key]["state"]
        'Ready'
    """

    def __init__(self, state: dict[str, Any], max_bytes=MAX_BYTES, keyframe_s=KEYFRAME_S):
        self.max_bytes = int(max_bytes)
        self.keyframe_ms = ms(keyframe_s)
        self.header = {k: state["header"][k] for k in ("title", "backend", "cluster", "simulated")}
        self.epoch = 0  # bumped when compaction rewrites the history (a browser reloads it)
        self.compactions = 0
        self._lock = threading.RLock()
        self._s = tc.Strings()
        self._base_t = self._last_t = self._end_t = ms(state["header"]["time"])
        self._base: dict[str, Any] = {"p": {}, "n": {}, "d": {}, "e": []}
        for section, (code, _) in tc.SECTIONS.items():
            for key, view in state[section].items():
                self._base[tc.SHORT[section]][self._s.id(key)] = tc.encode(code, view, self._s)
        self._base["e"] = [tc.encode(tc.EVENT, e, self._s) for e in state["events"]]
        self._ops: list[tuple] = []
        self._rebuild(bump=False)
        # (epoch, ops, strings) a browser already holds: the first picture's strings come
        # with the whole recording ("timeline" message), never in a patch.
        self._sent = (0, 0, len(self._s.list))

    # ---- recording ----------------------------------------------------------------------
    def record(self, t: float, section: str, key: str, view: dict[str, Any] | None) -> None:
        """One row's new view (None: removed), or one event (section "events"), at ``t``."""
        with self._lock:
            if section == "events":
                code, key_id = tc.EVENT, 0
            else:
                code, key_id = tc.SECTIONS[section][view is None], self._s.id(key)
            fields = None if view is None else tc.encode(code, view, self._s)
            t_ms = max(ms(t), self._last_t)
            if t_ms > self._last_t and t_ms - self._kf_t[-1] >= self.keyframe_ms:
                self._keyframe(self._last_t, len(self._ops))
            op = (t_ms, code, key_id, fields)
            apply(self._cur, op)
            self._ops.append(op)
            self._bytes += op_size(t_ms - self._last_t, fields)
            self._last_t = self._end_t = t_ms
            if self.size > self.max_bytes - SLACK:
                self.compact()

    def note_time(self, t: float) -> None:
        """The cluster clock reached ``t`` (the recording lasts at least until then)."""
        with self._lock:
            self._end_t = max(self._end_t, ms(t))

    def _keyframe(self, t_ms: int, index: int) -> None:
        # The state after ops[:index], all at or before t_ms (ops[index] comes later).
        self._kf_t.append(t_ms)
        self._kf.append((index, copy_state(self._cur)))

    # ---- reading ------------------------------------------------------------------------
    @property
    def start(self) -> float:
        """The earliest instant the recording holds, in cluster seconds."""
        return self._base_t / 1000

    @property
    def end(self) -> float:
        """The latest instant the recording knows of, in cluster seconds."""
        return self._end_t / 1000

    @property
    def size(self) -> int:
        """The recording's size as compact JSON, in bytes (kept under ``max_bytes``)."""
        return self._bytes + self._s.bytes

    def __len__(self) -> int:
        return len(self._ops)

    def at(self, t: float) -> dict[str, Any]:
        """The view state at cluster time ``t`` (before the recording: its first state).

        Example:
            >>> view.at(42.0)["deployments"]["default/model"]["updated"]
            2
        """
        with self._lock:
            t_ms = ms(t)
            i = max(bisect.bisect_right(self._kf_t, t_ms) - 1, 0)
            start, state = self._kf[i]
            state = copy_state(state)
            for op in self._ops[start:]:
                if op[0] > t_ms:
                    break
                apply(state, op)
            return self._view(state, self._s.list, t)

    def _view(self, state: dict[str, Any], strings: list[str], t: float) -> dict[str, Any]:
        sections = {}
        for section, (code, _) in tc.SECTIONS.items():
            rows = state[tc.SHORT[section]].items()
            sections[section] = {
                strings[k]: tc.decode(code, strings[k], f, strings) for k, f in rows
            }
        h = self.header
        return {
            "seq": 0,
            "stopped": False,
            "header": header_view(h["backend"], h["simulated"], h["cluster"], t),
            **sections,
            "events": [tc.decode(tc.EVENT, "", f, strings) for f in state["e"]],
            "versions": versions_of(sections["pods"].values(), sections["deployments"].values()),
        }

    def markers(self) -> list[dict[str, Any]]:
        """The notable events (NOTABLE_REASONS) the recording holds, oldest first."""
        with self._lock:
            strings = self._s.list
            rows = [*self._base["e"], *(op[3] for op in self._ops if op[1] == tc.EVENT)]
            events = [tc.decode(tc.EVENT, "", f, strings) for f in rows]
        return [e for e in events if e["reason"] in NOTABLE_REASONS]

    # ---- compaction -----------------------------------------------------------------------
    def compact(self, target: int | None = None) -> None:
        """Shrink to ``target`` bytes (default 70 % of the bound): thin, then fold the oldest."""
        with self._lock:
            target = int(self.max_bytes * COMPACT_TO) if target is None else target
            self.compactions += 1
            # Thin the older half of the time span, then three quarters, then all but the
            # newest keyframe interval, until the recording fits.
            for share in (0.5, 0.75, 1.0):
                if self.size <= target or len(self._ops) < 2:
                    break
                first, last = self._base_t, self._ops[-1][0]
                until = min(first + (last - first) * share, last - self.keyframe_ms)
                grid = int(until) // self.keyframe_ms * self.keyframe_ms
                cut = bisect.bisect_right([op[0] for op in self._ops], grid)
                if cut:
                    self._ops[:cut] = thin(
                        self._base, self._ops[:cut], self._s.list, self.keyframe_ms
                    )
                    self._rebuild()
            if self.size > target:
                excess, folded = self.size - target, 0
                i, last = 0, self._base_t
                while i < len(self._ops) and folded < excess:
                    last = self._ops[i][0]
                    while i < len(self._ops) and self._ops[i][0] == last:
                        folded += tc.json_size(wire(self._ops[i], 0)) + 1
                        apply(self._base, self._ops[i])
                        i += 1
                self._base_t = last
                del self._ops[:i]
                self._rebuild()

    def _rebuild(self, bump: bool = True) -> None:
        """Renumber the strings (dropping unused ones), re-measure, re-make the keyframes."""
        old, new = self._s.list, tc.Strings()
        base = {"e": [tc.renumber(tc.EVENT, f, old, new) for f in self._base["e"]]}
        for section, (code, _) in tc.SECTIONS.items():
            rows = self._base[tc.SHORT[section]].items()
            base[tc.SHORT[section]] = {
                new.id(old[k]): tc.renumber(code, f, old, new) for k, f in rows
            }
        ops = []
        for t, code, key, fields in self._ops:
            key = key if code == tc.EVENT else new.id(old[key])
            ops.append(
                (t, code, key, None if fields is None else tc.renumber(code, fields, old, new))
            )
        self._s, self._base, self._ops = new, base, ops
        self._cur = copy_state(base)
        self._kf_t, self._kf = [self._base_t], [(0, copy_state(base))]
        self._last_t = self._base_t
        for index, op in enumerate(ops):
            if op[0] > self._last_t and op[0] - self._kf_t[-1] >= self.keyframe_ms:
                self._keyframe(self._last_t, index)
            apply(self._cur, op)
            self._last_t = op[0]
        self._end_t = max(self._end_t, self._last_t)
        self._bytes = tc.json_size(self._export()) - self._s.bytes
        if bump:
            self.epoch += 1

    # ---- export ---------------------------------------------------------------------------
    def _export(self) -> dict[str, Any]:
        strings = self._s.list
        base = {"e": [list(f) for f in self._base["e"]]}
        for short in tc.SHORT.values():
            base[short] = [[k, *f] for k, f in self._base[short].items()]
        ops, prev = [], self._base_t
        for op in self._ops:
            ops.append(wire(op, op[0] - prev))
            prev = op[0]
        return {
            "v": 1,
            "h": self.header,
            "t0": self._base_t,
            "t1": self._end_t,
            "k": self.keyframe_ms,
            "s": list(strings),
            "b": base,
            "o": ops,
            "x": tc.derivations(),
        }

    def export(self, max_bytes: int | None = None) -> dict[str, Any]:
        """The recording as compact JSON-able data (what a browser or a saved notebook holds).

        Args:
            max_bytes: compact a copy until it fits (the live recording is left as it is).

        Example:
            >>> Timeline.from_export(view.timeline.export()).at(30.0) == view.at(30.0)
            True
        """
        with self._lock:
            data = self._export()
        while max_bytes is not None and tc.json_size(data) > max_bytes:
            copy = Timeline.from_export(data, max_bytes=max_bytes, keyframe_s=data["k"] / 1000)
            copy.compact()
            if copy.size >= tc.json_size(data):
                break  # only the first keyframe is left: nothing more to drop
            data = copy._export()
        return data

    @classmethod
    def from_export(cls, data: dict[str, Any], **kwargs) -> Timeline:
        """A Timeline holding an exported recording (to read one a notebook saved)."""
        header = {**data["h"], "time": data["t0"] / 1000}
        timeline = cls(
            {"header": header, "nodes": {}, "pods": {}, "deployments": {}, "events": []},
            **{"keyframe_s": data["k"] / 1000, **kwargs},
        )
        with timeline._lock:
            timeline._s = tc.Strings(data["s"])
            base = timeline._base = {"e": [tuple(f) for f in data["b"]["e"]]}
            for section in tc.SECTIONS:
                base[tc.SHORT[section]] = {r[0]: tuple(r[1:]) for r in data["b"][tc.SHORT[section]]}
            t, ops = data["t0"], []
            for wire in data["o"]:
                t += wire[0]
                ops.append(unwire(t, wire))
            timeline._ops = ops
            timeline._end_t = data["t1"]
            timeline._rebuild(bump=False)
        return timeline

    def take(self) -> dict[str, Any] | None:
        """What a browser lacks since the last take: new strings and operations, or (after a
        compaction rewrote the history) the whole recording as ``{"full": ...}``."""
        with self._lock:
            epoch, n_ops, n_strings = self._sent
            self._sent = (self.epoch, len(self._ops), len(self._s.list))
            if epoch != self.epoch:
                return {"full": {**self._export(), "e": self.epoch}}
            if n_ops == len(self._ops) and n_strings == len(self._s.list):
                return None
            prev = self._ops[n_ops - 1][0] if n_ops else self._base_t
            ops = []
            for op in self._ops[n_ops:]:
                ops.append(wire(op, op[0] - prev))
                prev = op[0]
            strings = self._s.list[n_strings:]
            return {"e": self.epoch, "s0": n_strings, "s": strings, "o0": n_ops, "o": ops}

    def full(self) -> dict[str, Any]:
        """The whole recording for a browser that starts over; later takes continue from it."""
        with self._lock:
            self._sent = (self.epoch, len(self._ops), len(self._s.list))
            return {**self._export(), "e": self.epoch}
