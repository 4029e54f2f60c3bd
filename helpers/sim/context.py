"""What a simulator component is given: a ``Context``, as kube-controller-manager gives each
controller informers, a client and an event recorder (its ControllerContext).

A component reads the ``store`` (the informers' cache), schedules work on the ``clock``,
writes through ``api`` (the SimApiServer), tells its story through ``events`` and draws
randomness from ``rng(stream)``; it never holds the whole cluster.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpers.sim.clock import Clock
    from helpers.sim.events import EventRecorder
    from helpers.sim.store import Store


class RandomStreams:
    """One deterministic RNG per named stream, derived from the seed.

    A stream per purpose ("names", "nodeports", "traffic/default/model") keeps one
    component's draws from shifting another's when code changes.

    Example:
        >>> rng = RandomStreams(0)
        >>> rng("names") is rng("names")
        True
    """

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __call__(self, stream: str) -> random.Random:
        if stream not in self._streams:
            self._streams[stream] = random.Random(f"{self.seed}:{stream}")
        return self._streams[stream]


@dataclass(frozen=True)
class Context:
    """The few things a controller uses (all to be used under the cluster lock).

    Attributes:
        store: objects, indexes and watches (read; controllers write through ``api``).
        clock: the virtual clock to schedule work on.
        api: the SimApiServer (helpers.sim.apiserver), the controllers' client.
        events: the EventRecorder: ``events.record(obj_ref, type_, reason, message, namespace)``.
        rng: ``rng(stream)``, a seeded ``random.Random`` per stream.
    """

    store: Store
    clock: Clock
    api: Any  # a SimApiServer; typed loosely because apiserver is below the controllers
    events: EventRecorder
    rng: RandomStreams
