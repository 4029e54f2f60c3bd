"""Exercise checks: verify what a student did to the cluster, with a hint when it is wrong.

Like Killercoda's verify scripts, in Python and on either backend. A check never raises
for a wrong answer: it returns a ``CheckResult`` that shows ✓ or ✗, what it saw and a hint
aimed at the mistake, and is truthy when passed. It raises ``LabError`` only when called
wrongly. Checks that look at a converging state (replicas, rollouts, endpoints) give a
right spec up to 60 s on the cluster clock to settle; a wrong spec fails at once.

Example:
    >>> helpers.checks.replicas(cluster, "model", 5)
    ✗ deployment/model runs 5 ready replicas
      seen: deployment/model wants 3 replicas, 3 ready
      hint: deployment/model has 3 replicas; scale it with cluster.scale("model", 5) ...
"""

from __future__ import annotations

from helpers.checks.gateway import gateway_reaches_model, gateway_sends_token
from helpers.checks.helm import release
from helpers.checks.placement import (
    drained,
    hpa,
    pdb,
    pending_reason,
    placed,
    requests,
    spread,
    worker_count,
)
from helpers.checks.result import CheckResult
from helpers.checks.service import (
    canary,
    endpoints,
    no_failed_requests,
    selector,
    served_version,
)
from helpers.checks.workloads import healthy, replicas, rolled_out

__all__ = [
    "CheckResult",
    "canary",
    "drained",
    "endpoints",
    "gateway_reaches_model",
    "gateway_sends_token",
    "healthy",
    "hpa",
    "no_failed_requests",
    "pdb",
    "pending_reason",
    "placed",
    "release",
    "replicas",
    "requests",
    "rolled_out",
    "selector",
    "served_version",
    "spread",
    "worker_count",
]
