"""Go durations, as Kubernetes writes and reads them: "1m20s", "5m0s", "1.5s", "300ms".

The kubelet and the controllers format durations with Go's time.Duration.String(), and
kubectl and kubeadm flags take Go duration strings (time.ParseDuration). Both are written
once here so every message the simulator makes reads as the real one.
(pkg.go.dev/time#Duration.String, pkg.go.dev/time#ParseDuration)
"""

from __future__ import annotations

import re

_NS_PER_S = 1_000_000_000
# Units time.ParseDuration accepts, in nanoseconds ("us" and "µs" both mean microseconds).
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": _NS_PER_S,
    "m": 60 * _NS_PER_S,
    "h": 3600 * _NS_PER_S,
}
_TERM = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def _fraction(value: int, scale: int) -> str:
    """``value / scale`` with the fraction's trailing zeros dropped, as Go's fmtFrac does."""
    whole, rest = divmod(value, scale)
    digits = str(rest).rjust(len(str(scale)) - 1, "0").rstrip("0") if scale > 1 else ""
    return f"{whole}.{digits}" if digits else str(whole)


def format_ns(ns: int) -> str:
    """time.Duration(ns).String(): the Go spelling of ``ns`` nanoseconds."""
    sign, u = ("-", -ns) if ns < 0 else ("", ns)
    if u == 0:
        return "0s"
    if u < _NS_PER_S:
        # Below one second Go switches to the largest unit that keeps a non-zero digit first.
        for scale, unit in ((1, "ns"), (1_000, "µs"), (1_000_000, "ms")):
            if u < scale * 1_000:
                return f"{sign}{_fraction(u, scale)}{unit}"
    whole, rest = divmod(u, _NS_PER_S)
    out = f"{_fraction((whole % 60) * _NS_PER_S + rest, _NS_PER_S)}s"
    minutes = whole // 60
    if minutes:
        out = f"{minutes % 60}m{out}"
        if minutes // 60:
            out = f"{minutes // 60}h{out}"
    return sign + out


def go_duration(seconds: float) -> str:
    """``seconds`` as Go prints a time.Duration.

    Example:
        >>> go_duration(80), go_duration(300), go_duration(1.5), go_duration(0.3)
        ('1m20s', '5m0s', '1.5s', '300ms')
    """
    return format_ns(round(seconds * _NS_PER_S))


def parse_go_duration(text: str) -> float:
    """A Go duration string ("300s", "5m", "1h30m", "1.5s") in seconds.

    Raises:
        ValueError: ``text`` is not a Go duration (a bare number needs a unit, except "0").

    Example:
        >>> parse_go_duration("1m30s")
        90.0
    """
    raw = text.strip()
    body = raw.lstrip("+-")
    if body == "0":
        return 0.0
    terms = _TERM.findall(body)
    if not body or "".join(n + u for n, u in terms) != body:
        raise ValueError(f'time: invalid duration "{raw}"')
    total = sum(float(number) * _UNITS[unit] for number, unit in terms) / _NS_PER_S
    return -total if raw.startswith("-") else total
