"""Realtime mode: the virtual clock paced by the wall clock, with virtual time's semantics.

``RealtimeDriver`` runs the clock on a daemon thread at ``speed`` virtual seconds per wall
second. It runs the same callbacks in the same order as virtual time; what it adds is the
pace. Waits (``cluster.wait``, ``sleep``) are *waiters* the driver serves as
``wait_virtual`` does: it checks each waiter's condition after every change and stops the
clock at the instant it holds, or at its deadline, until the waiting thread has resumed.
So a wait returns at the same cluster time, on the same state, as in virtual time; what
may differ is only the cluster time that passes between a wait's return and the student's
next call (wall time × speed), the one thing a person's pace decides.

The thread holds the cluster lock for at most ``SLICE_S`` at a time, so the kernel (and a
ClusterView's flush thread) gets its turn even when the simulation cannot keep up; then
the clock slips (falls behind the wall clock) rather than racing to catch up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from helpers.errors import LabError

# 0.05 s: fine enough for a live view, coarse enough to cost nothing while idle.
MAX_NAP_S = 0.05
# 2 ms: the lock is released this long between slices, so a waiting thread can take it
# (CPython's locks are not fair: a thread that releases and re-takes at once keeps it).
MIN_NAP_S = 0.002
# 20 ms of callbacks per slice: a kernel call waits at most about this long for the lock.
SLICE_S = 0.02
# 1 s of wall time behind: past that the clock slips instead of bursting to catch up.
MAX_LAG_S = 1.0


class Waiter:
    """One thread's wait: a condition (None: time only) and a deadline on the cluster clock."""

    __slots__ = ("check", "deadline", "done", "error", "held")

    def __init__(self, check: Callable[[], bool] | None, deadline: float):
        self.check, self.deadline = check, deadline
        self.done = False  # the driver stopped the clock for it: the waiter may resume
        self.held = False  # its condition held (else its deadline passed)
        self.error: BaseException | None = None  # raised by check, re-raised in the waiter


class RealtimeDriver:
    """A daemon thread that moves a Clock with the wall clock times ``speed``.

    Args:
        clock: the cluster clock.
        lock: the cluster lock; callbacks and checks run under it.
        speed: virtual seconds per wall second.
        on_tick: called under the lock after each slice (the cluster wakes waiters).
        version: returns a number that moves on every change (the store's version).

    Nothing here prints: errors from callbacks are kept in ``errors``.
    """

    def __init__(self, clock, lock, speed: float, on_tick: Callable, version: Callable[[], int]):
        if not speed > 0:
            raise LabError(f"speed must be more than 0, not {speed!r}.", "e.g. speed=10.")
        self.clock, self.lock, self.speed = clock, lock, float(speed)
        self.on_tick, self._version = on_tick, version
        self.errors: list[BaseException] = []
        self.slipped_s = 0.0  # virtual seconds the clock fell behind the wall clock
        self._waiters: list[Waiter] = []
        self._seen = -1
        self._stop = threading.Event()
        self._origin_wall = time.monotonic()
        self._origin_virtual = clock.now
        self.thread = threading.Thread(target=self._run, name="sim-clock", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self.thread.is_alive() and not self._stop.is_set()

    def target(self) -> float:
        """The virtual time the wall clock says it is now."""
        return self._origin_virtual + (time.monotonic() - self._origin_wall) * self.speed

    def stop(self) -> None:
        """Stop the thread and wait for it (safe to call twice)."""
        self._stop.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout=2.0)

    # ---- waiters (called under the lock) -------------------------------------------------
    def add(self, waiter: Waiter) -> None:
        """Serve ``waiter`` from the next slice on."""
        self._waiters.append(waiter)

    def remove(self, waiter: Waiter) -> None:
        """Forget ``waiter`` (it resumed): the clock runs on."""
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    # ---- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                try:
                    behind = self._slice()
                    self.on_tick()
                except Exception as err:
                    self.errors.append(err)
                    behind = False
                due = self.clock.next_time()
            nap = MAX_NAP_S
            if behind:
                nap = MIN_NAP_S
            elif due is not None:
                nap = min(nap, max(MIN_NAP_S, (due - self.target()) / self.speed))
            self._stop.wait(nap)

    def _slice(self) -> bool:
        """Run callbacks toward the wall clock's time; True when out of time (behind)."""
        if any(w.done for w in self._waiters):
            return False  # the clock waits for a resumed waiter to take its turn
        clock, target = self.clock, self.target()
        limit = min([target, *(w.deadline for w in self._waiters)])
        end = time.monotonic() + SLICE_S
        while clock.run_next(limit):
            if self._serve(deadline_passed=False):
                return False
            if time.monotonic() >= end:
                lag = (target - clock.now) / self.speed
                if lag > MAX_LAG_S:
                    self._slip()
                return True
        if limit > clock.now:
            clock.now = limit
        self._serve(deadline_passed=True)
        return False

    def _serve(self, deadline_passed: bool) -> bool:
        """Check the waiters after a change (or at a deadline); True if one may resume."""
        version = self._version()
        changed, self._seen = version != self._seen, version
        resumed = False
        for waiter in self._waiters:
            if waiter.done:
                continue
            at_deadline = deadline_passed and self.clock.now >= waiter.deadline
            if changed or at_deadline:
                try:
                    waiter.held = waiter.check is not None and bool(waiter.check())
                except Exception as err:  # the waiter re-raises it on its own thread
                    waiter.error, waiter.held = err, False
                waiter.done = waiter.held or at_deadline or waiter.error is not None
                resumed |= waiter.done
        return resumed

    def _slip(self) -> None:
        # Restart the wall-to-virtual mapping at the clock's time: the backlog is dropped,
        # not run in a burst that would hold the lock for seconds.
        self.slipped_s += self.target() - self.clock.now
        self._origin_wall, self._origin_virtual = time.monotonic(), self.clock.now


def wait_realtime(driver: RealtimeDriver, cond: threading.Condition, check, deadline: float):
    """Wait (holding ``cond``'s lock) as ``wait_virtual`` does; True if ``check`` held.

    ``check`` None waits for the deadline alone (``sleep``).
    """
    if threading.current_thread() is driver.thread:
        raise LabError(
            "A wait's condition cannot itself wait or sleep (it runs on the clock's thread).",
            "Make the condition a quick look at the cluster, e.g. lambda c: len(c.pods()) == 3.",
        )
    if check is not None and check():
        return True
    waiter = Waiter(check, deadline)
    driver.add(waiter)
    try:
        while not waiter.done:
            if not driver.alive:
                raise LabError(
                    "The simulated cluster's clock is stopped (the cluster was closed).",
                    'Open a new one: cluster = helpers.lab.start("...").',
                )
            cond.wait(timeout=MAX_NAP_S)
    finally:
        driver.remove(waiter)
    if waiter.error is not None:
        raise waiter.error
    return waiter.held
