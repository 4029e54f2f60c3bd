"""Generated names, as the controllers make them: pod-template-hash and random suffixes.

The pod-template-hash is the FNV-1a 32-bit hash of the pod template, written with the
alphabet Kubernetes uses for generated names (no vowels, no look-alike digits); pod names
add five random characters from the same alphabet, drawn from the seeded RNG.
"""

from __future__ import annotations

import json
import random

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def fnv1a_32(data: bytes) -> int:
    """The 32-bit FNV-1a hash."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """Map each character onto the name alphabet (rand.SafeEncodeString in Kubernetes)."""
    return "".join(ALPHABET[ord(ch) % len(ALPHABET)] for ch in text)


def template_hash(template: dict, collision_count: int = 0) -> str:
    """The pod-template-hash label value of a Deployment's pod template.

    Example:
        >>> len(template_hash({"spec": {"containers": [{"name": "a", "image": "b"}]}})) <= 10
        True
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv1a_32(data)))


def suffix(rng: random.Random, n: int = 5) -> str:
    """``n`` random characters from the name alphabet."""
    return "".join(rng.choices(ALPHABET, k=n))
