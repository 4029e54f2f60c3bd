"""Placeholder until the kube backend lands: no context is reachable."""


def probe(context: str, timeout: float = 2.0) -> tuple[bool, str]:
    """Whether the API server of ``context`` answers within ``timeout`` seconds."""
    return False, "the kube backend is not built yet"
