"""How fast a lab's simulated cluster runs: realtime at the lab's speed, or virtual time.

A person running a lab on the simulator sees the cluster move: its clock runs with the
wall clock times a speed factor chosen per lab, so the lab's longest steps take seconds
(a 6-minute node loss in about 30 s) and a ClusterView animates while the cell runs.
Builds and tests need identical outputs instead, so they run in virtual time (instant,
deterministic). Precedence, first match wins:

1. ``helpers.lab.start(..., speed=...)``: a number (realtime at that factor) or "virtual";
2. the ``LAB_SPEED`` environment variable, the same values (``make labs``, ``make nbval``,
   pytest and ``make test-kind`` set ``LAB_SPEED=virtual``);
3. ``CI`` set to anything but "", "0" or "false" (GitHub Actions sets ``CI=true``): virtual;
4. the lab's own factor in ``LAB_SPEEDS``.

The kind backend ignores all this: a real cluster runs at the wall clock's pace.

Example:
    >>> resolve("04_break", environ={})
    12.0
    >>> resolve("04_break", environ={"LAB_SPEED": "virtual"}) is None
    True
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from helpers.errors import LabError

SPEED_ENV = "LAB_SPEED"
VIRTUAL = "virtual"
# Virtual seconds per wall second, chosen from each lab's longest cluster waits (measured
# in virtual time) so each takes about 5 to 30 s of wall time:
LAB_SPEEDS = {
    "00_setup": 5.0,  # a 30 s sleep: 6 s
    "01_containers": 10.0,  # local containers only: nothing waits on the cluster clock
    "02_deploy": 2.0,  # rollouts and self-healing of 4 to 8 s: 2 to 4 s
    "03_scale": 15.0,  # 60 s and 120 s of load: 4 s and 8 s; the HPA's 360 s scale-down: 24 s
    "04_break": 12.0,  # a node loss of 330 s: 27 s; a 120 s progress deadline: 10 s
    "05_roll_forward": 10.0,  # rollouts under traffic of 55 to 120 s: 6 to 12 s
    "06_scheduling": 5.0,  # re-placing rollouts of 22 to 30 s: 5 to 6 s
    "07_helm": 10.0,  # rollouts of helm upgrades under traffic of 50 to 130 s: 5 to 13 s
    "08_microservices": 5.0,  # rollouts of the model and the gateway of 20 to 40 s: 4 to 8 s
}
# A lab without an entry (a new one) runs at this factor until it gets its own.
DEFAULT_SPEED = 10.0
_FALSE = ("", "0", "false", "no")


def parse(value, origin: str) -> float | None:
    """A speed as given (a number, or "virtual") as a factor, or None for virtual time."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == VIRTUAL:
            return None
        try:
            value = float(text)
        except ValueError:
            value = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise LabError(
        f"{origin} must be a number above 0 or {VIRTUAL!r}, not {value!r}.",
        f"e.g. {SPEED_ENV}=10 (ten times real time), {SPEED_ENV}=1 (real time) or "
        f"{SPEED_ENV}={VIRTUAL} (instant, the same result every run).",
    )


def resolve(lab: str, speed=None, environ: Mapping[str, str] | None = None) -> float | None:
    """The speed factor a lab runs at on the simulator; None means virtual time.

    Args:
        lab: the notebook's name, e.g. "04_break".
        speed: what ``helpers.lab.start`` was given (None: decide from the environment).
        environ: the environment to read (default: ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    if speed is not None:
        return parse(speed, "speed")
    if environ.get(SPEED_ENV, "").strip():
        return parse(environ[SPEED_ENV], SPEED_ENV)
    if environ.get("CI", "").strip().lower() not in _FALSE:
        return None
    return LAB_SPEEDS.get(lab, DEFAULT_SPEED)


def describe(factor: float | None) -> str:
    """How the clock runs, in words: "realtime at 12x" or "virtual time"."""
    return VIRTUAL + " time" if factor is None else f"realtime at {factor:g}x"
