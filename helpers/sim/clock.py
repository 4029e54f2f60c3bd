"""The simulator's clock: virtual time driven by a queue of timed callbacks.

Every delay in the simulated cluster (an image pull, a probe period, a grace period) is a
callback at a virtual time. In virtual mode the clock jumps from one callback to the next,
so five simulated minutes take milliseconds and every run with one seed is identical. In
realtime mode a background thread (helpers.sim.realtime) moves the clock with the wall clock.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import time
from collections import deque
from collections.abc import Callable


class Clock:
    """Virtual seconds plus timed callbacks, run in order of time then insertion.

    Callbacks due at one instant share a FIFO bucket, and a heap holds only the distinct
    due times: thousands of pods wake at the same instants, so this keeps the heap small
    and never compares two callbacks (the order is the one a heap of (time, sequence)
    would give).

    Example:
        >>> clock = Clock()
        >>> handle = clock.call_at(5.0, print, "five")
        >>> clock.run_until(10.0)
        five
        >>> clock.now
        10.0
    """

    def __init__(self, start: float = 0.0):
        self.now = float(start)
        self._times: list[float] = []  # a heap of the times that have a bucket
        self._due: dict[float, deque[list]] = {}  # time -> [time, fn, args] in call order

    def call_at(self, t: float, fn: Callable, *args) -> list:
        """Run ``fn(*args)`` at virtual time ``t`` (now, if ``t`` is past); returns a handle."""
        if t < self.now:
            t = self.now
        entry = [t, fn, args]
        bucket = self._due.get(t)
        if bucket is None:
            self._due[t] = deque((entry,))
            heapq.heappush(self._times, t)
        else:
            bucket.append(entry)
        return entry

    def call_later(self, delay: float, fn: Callable, *args) -> list:
        """Run ``fn(*args)`` after ``delay`` virtual seconds."""
        return self.call_at(self.now + delay, fn, *args)

    def cancel(self, handle: list | None) -> None:
        """Forget a scheduled callback (safe on None and on callbacks that already ran)."""
        if handle is not None:
            handle[1] = None

    def next_time(self) -> float | None:
        """When the next live callback is due, or None when nothing is scheduled."""
        times, due = self._times, self._due
        while times:
            t = times[0]
            bucket = due[t]
            while bucket and bucket[0][1] is None:
                bucket.popleft()
            if bucket:
                return t
            del due[t]
            heapq.heappop(times)
        return None

    def run_next(self, limit: float) -> bool:
        """Run every callback due at the next due time if it is <= ``limit``; False if none."""
        t = self.next_time()
        if t is None or t > limit:
            return False
        self.now = t
        due = self._due
        # Callbacks added for this instant while it runs join its bucket (or, after a nested
        # run emptied and dropped it, a new one) and run in this pass, as with one heap.
        while (bucket := due.get(t)) is not None:
            while bucket:
                entry = bucket.popleft()
                fn = entry[1]
                if fn is not None:
                    entry[1] = None
                    fn(*entry[2])
            if due.get(t) is bucket:
                del due[t]
                heapq.heappop(self._times)  # t: every other due time is later
        return True

    def run_until(self, t: float) -> None:
        """Run every callback due up to ``t``, then set the clock to ``t``."""
        while self.run_next(t):
            pass
        if t > self.now:
            self.now = t


# Virtual second 0 as a wall time, so timestamps look real and stay deterministic.
EPOCH_SECONDS = 1_767_225_600  # 2026-01-01T00:00:00Z


_ISO: dict[int, str] = {}


def wait_virtual(clock: Clock, store, check: Callable[[], bool], deadline: float) -> bool:
    """Run the clock until ``check()`` holds (True) or ``deadline`` passes (False)."""
    # check() runs again only after a change (store.version moved), so traffic and silent
    # probe ticks cost nothing; a time-only condition is checked at the deadline.
    seen = -1
    while True:
        if store.version != seen:
            seen = store.version
            if check():
                return True
        if not clock.run_next(deadline):
            clock.run_until(deadline)
            return check()


def iso(t: float) -> str:
    """A virtual time as the RFC 3339 timestamp the API server would print."""
    second = int(t)
    text = _ISO.get(second)
    if text is None:
        if len(_ISO) > 100_000:
            _ISO.clear()
        text = _ISO[second] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH_SECONDS + second)
        )
    return text


@contextlib.contextmanager
def paused_gc():
    """Pause CPython's cycle collector while the simulation runs a burst of callbacks.

    The simulator allocates many short-lived, acyclic objects (reference counting frees
    them); at 30,000 pods the cycle collector's passes over the live heap cost about as
    much as the simulation itself. It is switched back on at the end (unless it was off).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
