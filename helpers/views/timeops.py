"""Operations on a recording's compact state (timeline.py): apply, wire form, thinning.

A compact state is ``{"p": {key: fields}, "n": {...}, "d": {...}, "e": [fields, ...]}``
(pods, nodes, deployments by string index; the last events), fields as timecodec.encode
makes them. An operation is ``(t_ms, code, key, fields)``; fields None removes the row.
"""

from __future__ import annotations

from typing import Any

from helpers.views import timecodec as tc
from helpers.views.viewstate import EVENTS_SHOWN

# Events a student looks for on the slider; per-pod chatter (Pulled, Created) is left off.
NOTABLE_REASONS = frozenset(
    {
        "ScalingReplicaSet",
        "NodeNotReady",
        "TaintManagerEviction",
        "Evicted",
        "Unhealthy",
        "Killing",
        "BackOff",
        "FailedScheduling",
        "SuccessfulRescale",
        "ProgressDeadlineExceeded",
    }
)
# Thinned history keeps this many events of each notable reason per keyframe interval: a
# marker's tooltip lists 8, and 1,000 "Killing" events in 10 s tell no more than 8 do.
MARKS_PER_REASON = 8
GONE = object()


def copy_state(state: dict[str, Any]) -> dict[str, Any]:
    return {"p": dict(state["p"]), "n": dict(state["n"]), "d": dict(state["d"]), "e": [*state["e"]]}


def apply(state: dict[str, Any], op: tuple) -> None:
    _, code, key, fields = op
    if code == tc.EVENT:
        events = state["e"]
        events.append(fields)
        del events[:-EVENTS_SHOWN]
    elif fields is None:
        state[tc.SHORT[tc.SECTION_OF[code]]].pop(key, None)
    else:
        state[tc.SHORT[tc.SECTION_OF[code]]][key] = fields


def wire(op: tuple, dt: int) -> list:
    t, code, key, fields = op
    if code == tc.EVENT:
        # The event's own time, in tenths, relative to the operation's (mostly 0).
        return [dt, code, fields[0] - t // 100, *fields[1:]]
    return [dt, code, key] if fields is None else [dt, code, key, *fields]


def unwire(t: int, wire: list) -> tuple:
    if wire[1] == tc.EVENT:
        return (t, tc.EVENT, 0, (wire[2] + t // 100, *wire[3:]))
    return (t, wire[1], wire[2], tuple(wire[3:]) or None)


def op_size(dt: int, fields: tuple | None) -> int:
    # repr counts a space after each comma: a slight overestimate, cheaper than json.dumps.
    return len(repr(fields)) + len(str(dt)) + 8


def thin(base: dict[str, Any], ops: list[tuple], strings: list[str], step: int) -> list[tuple]:
    """``ops`` (which follow ``base``) reduced to what changed between keyframe times (every
    ``step`` ms), stamped at those times: the state at each keyframe time stays exact."""
    state, out, i = copy_state(base), [], 0
    while i < len(ops):
        end = -(-ops[i][0] // step) * step  # the keyframe time closing this window
        before: dict[tuple[int, int], Any] = {}
        events: list[tuple] = []
        while i < len(ops) and ops[i][0] <= end:
            op = ops[i]
            if op[1] == tc.EVENT:
                events.append(op[3])
            else:
                section = tc.SECTION_OF[op[1]]
                rows = state[tc.SHORT[section]]
                before.setdefault((tc.SECTIONS[section][0], op[2]), rows.get(op[2], GONE))
            apply(state, op)
            i += 1
        for (code, key), old in before.items():
            new = state[tc.SHORT[tc.SECTION_OF[code]]].get(key, GONE)
            if new is old or new == old:
                continue
            out.append((end, code + 1, key, None) if new is GONE else (end, code, key, new))
        # Keep the notable events (markers: a few of each reason, each object once) and
        # the last ones (the list at ``end``).
        head, seen, per_reason = [], set(), {}
        for f in events[:-EVENTS_SHOWN]:
            reason = f[3]
            if strings[reason] not in NOTABLE_REASONS or (f[2], reason) in seen:
                continue
            if per_reason.get(reason, 0) < MARKS_PER_REASON:
                seen.add((f[2], reason))
                per_reason[reason] = per_reason.get(reason, 0) + 1
                head.append(f)
        out.extend((end, tc.EVENT, 0, f) for f in [*head, *events[-EVENTS_SHOWN:]])
    return out
