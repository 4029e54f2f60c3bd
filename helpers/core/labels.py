"""Label selectors, as `kubectl get -l` and Kubernetes objects spell them.

Both forms reach the same matcher: the string form (``"app=model,tier!=cache"``,
``"env in (a,b)"``, ``"!canary"``) and the object form (``{"matchLabels": ...,
"matchExpressions": [...]}``) used in Deployments, Services and PDBs.
(kubernetes.io/docs/concepts/overview/working-with-objects/labels/)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from helpers.errors import ManifestError

# One requirement of the string form, e.g. "app=model", "app in (a, b)", "!canary".
_SET = re.compile(r"^\s*(\S+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([^!=\s]+)\s*(==|=|!=)\s*(\S*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)([^!=\s(),]+)\s*$")

Requirement = tuple[str, str, frozenset[str]]  # (key, operator, values)


def _split(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p for p in [*parts, cur] if p.strip()]


def parse(selector: str | Mapping[str, Any] | None) -> list[Requirement]:
    """Parse a selector in either form into requirements (an empty list matches all).

    Example:
        >>> parse("app=model")
        [('app', 'In', frozenset({'model'}))]
    """
    if selector is None:
        return []
    if isinstance(selector, Mapping):
        if "matchLabels" not in selector and "matchExpressions" not in selector:
            return [(k, "In", frozenset([str(v)])) for k, v in selector.items()]
        reqs = [(k, "In", frozenset([str(v)])) for k, v in selector.get("matchLabels", {}).items()]
        for expr in selector.get("matchExpressions", []) or []:
            op = expr.get("operator")
            if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
                raise ManifestError(f"selector.matchExpressions: unknown operator {op!r}.")
            reqs.append((expr["key"], op, frozenset(expr.get("values") or [])))
        return reqs
    reqs = []
    for part in _split(selector):
        if m := _SET.match(part):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append((m.group(1), "In" if m.group(2) == "in" else "NotIn", values))
        elif m := _EQ.match(part):
            reqs.append(
                (m.group(1), "NotIn" if m.group(2) == "!=" else "In", frozenset([m.group(3)]))
            )
        elif m := _EXISTS.match(part):
            reqs.append((m.group(2), "DoesNotExist" if m.group(1) else "Exists", frozenset()))
        else:
            raise ManifestError(
                f"Cannot read the label selector {selector!r} at {part.strip()!r}.",
                'Write it as kubectl does, e.g. "app=model" or "version in (v1,v2)".',
            )
    return reqs


def matches(selector: str | Mapping[str, Any] | list[Requirement] | None, labels: Mapping) -> bool:
    """True when ``labels`` satisfy every requirement of ``selector``."""
    reqs = selector if isinstance(selector, list) else parse(selector)
    for key, op, values in reqs:
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def to_string(selector: Mapping[str, Any] | str | None) -> str:
    """The string form of a selector, for the API's ``labelSelector`` and for people."""
    out = []
    for key, op, values in parse(selector):
        vals = ",".join(sorted(values))
        if op == "In":
            out.append(f"{key}={vals}" if len(values) == 1 else f"{key} in ({vals})")
        elif op == "NotIn":
            out.append(f"{key}!={vals}" if len(values) == 1 else f"{key} notin ({vals})")
        else:
            out.append(key if op == "Exists" else f"!{key}")
    return ",".join(out)
