"""A controller work queue: keys marked dirty are synced once, in order, at the same instant.

Like client-go's workqueue, a key added many times before it is processed is processed
once; keys added while syncing are processed in a later pass at the same virtual time.
"""

from __future__ import annotations

from collections.abc import Callable


class WorkQueue:
    """Dirty keys, processed by ``handler(key)`` in a clock callback at the current time.

    Example:
        >>> q = WorkQueue(clock, print)
        >>> q.add("default/model"); q.add("default/model")
        >>> clock.run_until(clock.now)
        default/model
    """

    def __init__(self, clock, handler: Callable):
        self.clock = clock
        self.handler = handler
        self.dirty: dict = {}
        self._pending = False

    def add(self, key) -> None:
        """Mark ``key`` for a sync now."""
        self.dirty[key] = None
        if not self._pending:
            self._pending = True
            self.clock.call_at(self.clock.now, self._drain)

    def add_at(self, t: float, key) -> None:
        """Mark ``key`` for a sync at time ``t`` (e.g. when minReadySeconds passes)."""
        self.clock.call_at(t, self.add, key)

    def _drain(self) -> None:
        self._pending = False
        batch, self.dirty = self.dirty, {}
        for key in batch:
            self.handler(key)
