"""Chunked lists: ``limit`` and ``continue``, as kubectl asks for them (``--chunk-size``,
500 by default).

A page holds at most ``limit`` objects in the list's order (namespace, then name); when
more follow, ``metadata.continue`` carries an opaque token naming the last key served and
``metadata.remainingItemCount`` how many are left. The next request sends the token back
and gets the objects after that key. (kubernetes.io/docs/reference/using-api/api-concepts/
#retrieving-large-results-sets-in-chunks.) One difference from the real server, which
serves every page from the snapshot of the first: here a later page reads the cluster as it
is now, so an object created between pages after the last key is listed, one deleted is not.
"""

from __future__ import annotations

import base64
import binascii
import json

from helpers.sim.httpapi.statuses import ApiError


def _key(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _bad(why: str) -> ApiError:
    return ApiError(400, "BadRequest", f"continue key is not valid: {why}")


def token(last: tuple[str, str], rv: str) -> str:
    """The continue token after key ``last`` of a list at resourceVersion ``rv``."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": "/".join(last)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(text: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text.encode()))
        namespace, _, name = data["start"].partition("/")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise _bad("it is not a token this server gave") from None
    return namespace, name


def page(objs: list, limit: str | None, cont: str | None, rv: str, key=_key) -> tuple[list, dict]:
    """(the objects of this page, metadata to add to the list: continue, remainingItemCount).

    ``key`` gives an object's (namespace, name): by default read from its JSON metadata.

    Raises:
        ApiError: 400 for a limit that is not a whole number or a continue token not ours.
    """
    if not cont and limit in (None, "", "0"):
        return objs, {}
    objs = sorted(objs, key=key)  # etcd's order, as the real server pages in
    if cont:
        start = _after(cont)
        objs = [o for o in objs if key(o) > start]
    if limit in (None, "", "0"):
        return objs, {}
    try:
        size = int(limit)
    except ValueError:
        raise ApiError(
            400, "BadRequest", f"limit: Invalid value: {limit!r}: must be a whole number"
        ) from None
    if size < 0:
        raise ApiError(400, "BadRequest", f"limit: Invalid value: {size}: must be >= 0")
    if len(objs) <= size:
        return objs, {}
    shown = objs[:size]
    return shown, {"continue": token(key(shown[-1]), rv), "remainingItemCount": len(objs) - size}
