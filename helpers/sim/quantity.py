"""Resource quantities ("250m", "1.5", "512Mi") read the way the API server reads them."""

from __future__ import annotations

from kubernetes.utils import parse_quantity

from helpers.errors import ManifestError


def parse(value, field: str) -> float:
    """A quantity as a number (cores for cpu, bytes for memory); ManifestError naming ``field``.

    Example:
        >>> parse("250m", "resources.requests.cpu")
        0.25
    """
    if isinstance(value, bool) or value is None:
        raise ManifestError(f'{field}: {value!r} is not a quantity (e.g. "250m" or "256Mi").')
    try:
        number = float(parse_quantity(value))
    except (ValueError, TypeError):
        raise ManifestError(
            f"{field}: {value!r} is not a valid quantity.",
            'Write CPU as cores or millicores ("0.5", "500m") and memory with a binary '
            'suffix ("256Mi", "1Gi").',
        ) from None
    if number < 0:
        raise ManifestError(f"{field}: {value!r} must not be negative.")
    return number


def cpu_text(cores: float) -> str:
    """Cores as the API server prints them: "2" or "250m"."""
    milli = round(cores * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def memory_text(value: float) -> str:
    """Bytes as the API server prints node memory: "4194304Ki"."""
    n = int(value)
    return f"{n // 1024}Ki" if n % 1024 == 0 else str(n)
