"""Rolling-update arithmetic of the Deployment controller, as pure functions.

maxSurge rounds up and maxUnavailable rounds down; if both come to 0 (possible with small
percentages), maxUnavailable becomes 1 so the rollout can move. During a rollout the pods
stay <= replicas + maxSurge and the available ones >= replicas - maxUnavailable.
(kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment)
"""

from __future__ import annotations

import math

from helpers.errors import ManifestError


def scaled_value(value, total: int, round_up: bool, field: str) -> int:
    """An int or "NN%" of ``total``, rounded as the controller does.

    Example:
        >>> scaled_value("25%", 3, True, "maxSurge"), scaled_value("25%", 3, False, "maxUnavailable")
        (1, 0)
    """
    if isinstance(value, bool):
        raise ManifestError(f"{field}: {value!r} must be an integer or a percentage.")
    if isinstance(value, int):
        if value < 0:
            raise ManifestError(f"{field}: {value} must be >= 0.")
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        pct = int(value[:-1])
        exact = pct * total / 100
        return math.ceil(exact - 1e-9) if round_up else math.floor(exact + 1e-9)
    raise ManifestError(
        f'{field}: {value!r} must be an integer or a percentage like "25%".',
        'Use e.g. maxSurge: 1 and maxUnavailable: 0, or "25%".',
    )


def fenceposts(strategy: dict, replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) for ``replicas``, with the 0/0 guard."""
    ru = strategy.get("rollingUpdate") or {}
    surge = scaled_value(
        ru.get("maxSurge", "25%"), replicas, True, "spec.strategy.rollingUpdate.maxSurge"
    )
    unavailable = scaled_value(
        ru.get("maxUnavailable", "25%"),
        replicas,
        False,
        "spec.strategy.rollingUpdate.maxUnavailable",
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def new_scale_up(replicas: int, surge: int, total_spec: int, new_spec: int) -> int:
    """New ReplicaSet size: up to replicas, keeping all pods <= replicas + maxSurge."""
    if new_spec >= replicas:
        return replicas
    room = replicas + surge - total_spec
    if room <= 0:
        return new_spec
    return new_spec + min(room, replicas - new_spec)


def old_scale_down(
    replicas: int,
    unavailable: int,
    olds: list[tuple[int, int]],
    new_spec: int,
    new_available: int,
) -> list[int]:
    """New sizes of the old ReplicaSets ([(spec, available)], oldest first).

    First drops old pods that are not available (they cost no availability), then
    available ones while availability stays >= replicas - maxUnavailable.
    """
    min_available = replicas - unavailable
    all_spec = sum(s for s, _ in olds) + new_spec
    max_down = all_spec - min_available - (new_spec - new_available)
    sizes = [s for s, _ in olds]
    if max_down <= 0:
        return sizes
    cleaned = 0
    avail = [a for _, a in olds]
    for i, (spec, av) in enumerate(olds):
        if cleaned >= max_down:
            break
        unhealthy = spec - min(av, spec)
        if spec == 0 or unhealthy == 0:
            continue
        down = min(max_down - cleaned, unhealthy)
        sizes[i] = spec - down
        cleaned += down
    available_total = sum(min(a, s) for a, s in zip(avail, sizes, strict=True)) + new_available
    if available_total <= min_available:
        return sizes
    budget = available_total - min_available
    for i, size in enumerate(sizes):
        if budget <= 0:
            break
        if size == 0:
            continue
        down = min(size, budget)
        sizes[i] = size - down
        budget -= down
    return sizes


def proportional_sizes(
    replicas: int,
    surge: int,
    sizes: list[int],
    max_annotations: list[int | None],
    status_total: int,
) -> list[int]:
    """Spread a change of spec.replicas over the ReplicaSets of a rollout in progress.

    ``sizes`` are ordered as the controller walks them (largest first); each ReplicaSet
    gets its share of the new room (replicas + maxSurge), rounded, and the rounding
    leftover goes to the first. (kubernetes.io/docs/concepts/workloads/controllers/
    deployment/#proportional-scaling)

    Example:
        >>> proportional_sizes(15, 3, [8, 5], [13, 13], 13)
        [11, 7]
    """
    allowed = replicas + surge if replicas > 0 else 0
    to_add = allowed - sum(sizes)
    if to_add == 0:
        return list(sizes)
    added = 0
    out = []
    for size, annotated in zip(sizes, max_annotations, strict=True):
        share = 0
        if size and to_add != added:
            if replicas == 0:
                fraction = -size
            else:
                base = annotated or status_total or 1
                fraction = round(size * (replicas + surge) / base) - size
            room = to_add - added
            share = min(fraction, room) if to_add > 0 else max(fraction, room)
        out.append(size + share)
        added += share
    if out:
        out[0] = max(0, out[0] + to_add - added)
    return out
