"""Fault switches: read from environment variables, all off by default.

The simulator imports these names too, so a lab behaves the same on both backends.

| variable                        | effect                                              |
| ------------------------------- | --------------------------------------------------- |
| MODEL_FAULT_CRASH_AT_START=1    | exit 1 right after start (CrashLoopBackOff)         |
| MODEL_FAULT_SLOW_START_SECONDS=N| model load takes N s more (late readiness)          |
| MODEL_FAULT_MEMORY_MB_PER_S=N   | hold N MiB more every second (OOMKilled at limit)   |
| MODEL_FAULT_LATENCY_MS=N        | add N ms to every /predict                          |
| MODEL_FAULT_ENDPOINTS=1         | enable POST /fault/exit (404 otherwise)             |
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass

CRASH_AT_START = "MODEL_FAULT_CRASH_AT_START"
SLOW_START_SECONDS = "MODEL_FAULT_SLOW_START_SECONDS"
MEMORY_MB_PER_S = "MODEL_FAULT_MEMORY_MB_PER_S"
LATENCY_MS = "MODEL_FAULT_LATENCY_MS"
ENDPOINTS = "MODEL_FAULT_ENDPOINTS"
ENV_NAMES = (CRASH_AT_START, SLOW_START_SECONDS, MEMORY_MB_PER_S, LATENCY_MS, ENDPOINTS)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class FaultConfigError(ValueError):
    """A fault variable holds a value that cannot be parsed."""


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise FaultConfigError(f"{name}={raw!r}: use 1 to switch the fault on, 0 or unset for off")


def _number(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise FaultConfigError(f"{name}={raw!r}: expected a number >= 0, e.g. {name}=5")
    return value


@dataclass(frozen=True)
class Faults:
    """The faults switched on for one server process (all off by default)."""

    crash_at_start: bool = False
    slow_start_seconds: float = 0.0
    memory_mb_per_s: float = 0.0
    latency_ms: float = 0.0
    endpoints: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Faults:
        """Parse the MODEL_FAULT_* variables.

        Raises:
            FaultConfigError: a variable is set to something unparseable.

        Example:
            >>> Faults.from_env({"MODEL_FAULT_LATENCY_MS": "250"}).latency_ms
            250.0
        """
        env = os.environ if env is None else env
        return cls(
            crash_at_start=_flag(env, CRASH_AT_START),
            slow_start_seconds=_number(env, SLOW_START_SECONDS),
            memory_mb_per_s=_number(env, MEMORY_MB_PER_S),
            latency_ms=_number(env, LATENCY_MS),
            endpoints=_flag(env, ENDPOINTS),
        )

    @property
    def active(self) -> list[str]:
        """Names of the variables whose fault is on, for logs and /version."""
        on = [
            (CRASH_AT_START, self.crash_at_start),
            (SLOW_START_SECONDS, self.slow_start_seconds > 0),
            (MEMORY_MB_PER_S, self.memory_mb_per_s > 0),
            (LATENCY_MS, self.latency_ms > 0),
            (ENDPOINTS, self.endpoints),
        ]
        return [name for name, is_on in on if is_on]


class MemoryHog:
    """Allocates and holds `mb_per_s` MiB more every second until stopped.

    Every page is written (b"\\x01" * n), so the memory counts against the cgroup limit
    at once; zero-filled allocations may not be backed by pages until touched.
    """

    def __init__(self, mb_per_s: float) -> None:
        self.mb_per_s = mb_per_s
        self._chunks: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-hog", daemon=True)

    @property
    def held_bytes(self) -> int:
        """Bytes held so far."""
        return sum(len(chunk) for chunk in self._chunks)

    def start(self) -> None:
        """Start allocating in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop allocating and release what is held."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._chunks.clear()

    def _run(self) -> None:
        size = int(self.mb_per_s * 1024 * 1024)
        # wait() returns early on stop: the hog never outlives its server.
        while not self._stop.wait(1.0):
            self._chunks.append(b"\x01" * size)
