"""A temporary guard for a float livelock in the simulator's controller queues.

Found while building the labs: ``ReplicaSetController.update_status`` re-queues a
ReplicaSet at ``ready_since + minReadySeconds`` and then tests ``now - ready_since >=
minReadySeconds``; with fractional times the subtraction can fall short by ~4e-16, so the
key is re-queued at the same instant forever and ``cluster.wait`` never returns (e.g.
``cluster.sleep(0.7)`` then applying the model Deployment, whose minReadySeconds is 3).

Until the simulator compares with a tolerance, a lab cluster nudges a wake-up that is due
"now" by a microsecond, so time moves on and the comparison holds. Only clusters opened by
``helpers.lab.start`` get this; the simulator's own code and tests are untouched.
Remove this module once helpers/sim fixes the comparison (reported to the lead).
"""

from __future__ import annotations

# 1 µs: far below anything the labs print (times are shown to 0.1 s), far above 1e-16.
NUDGE_S = 1e-6


def guard(cluster) -> None:
    """Apply the guard to a simulated cluster's controller queues (no-op elsewhere)."""
    for name in ("replicasets", "deployments"):
        queue = getattr(getattr(cluster, name, None), "queue", None)
        if queue is None or getattr(queue, "_lab_guarded", False):
            continue
        original = queue.add_at

        def add_at(t, key, _queue=queue, _original=original):
            now = _queue.clock.now
            _original(t if t > now + 1e-9 else now + NUDGE_S, key)

        queue.add_at = add_at
        queue._lab_guarded = True
