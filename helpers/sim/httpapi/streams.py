"""A watch response: newline-delimited JSON events over a chunked HTTP/1.1 stream.

Each event is ``{"type": "ADDED|MODIFIED|DELETED", "object": ...}``; with the Table Accept
header the object is a one-row Table, as ``kubectl get --watch`` asks. The stream ends
after ``timeoutSeconds`` (wall time) or when the server closes; the client then resumes
from the last resourceVersion it saw.
"""

from __future__ import annotations

import json
import queue
import time

from helpers.sim.httpapi import tables
from helpers.sim.httpapi.statuses import gone
from helpers.sim.httpapi.verbs import field_matches, parse_field_selector
from helpers.sim.httpapi.watches import Watch

DEFAULT_TIMEOUT_S = 1800.0  # the real server picks 30-60 min when the client names none
# With allowWatchBookmarks, a quiet watch gets a BOOKMARK (the newest resourceVersion) this
# often, so a client resumes from a recent version instead of one that has expired: the
# apiserver's watch cache sends them about once a minute (bookmarkFrequency).
BOOKMARK_S = 60.0


def _write_chunk(wfile, data: bytes) -> None:
    wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    wfile.flush()


def stream_watch(handler, kind, namespace: str | None, q: dict, convert=None, served=None) -> None:
    """Serve one watch request on ``handler`` (a helpers.sim.httpapi.handler.Handler).

    ``convert`` turns each object into the served version's form and ``served`` names that
    resource (events.k8s.io/v1 Events over the core ones); the field selector then applies
    to the converted object.
    """
    served = served or kind
    server = handler.server
    api, hub = server.verbs.api, server.hub
    terms = parse_field_selector(q.get("fieldSelector"))
    name = next((v for path, eq, v in terms if path == "metadata.name" and eq), None)
    core_fields = None if convert else q.get("fieldSelector")
    ns = namespace if kind.namespaced else None
    watch = Watch(kind.kind, ns, q.get("labelSelector"), name)
    rv = q.get("resourceVersion") or ""
    since = int(rv) if rv.isdigit() and rv != "0" else None
    initial = q.get("sendInitialEvents") == "true"  # a streaming list (client-go's WatchList)
    if initial:
        since = None
    expired = None
    with api.lock:
        try:
            hub.start(
                watch,
                since,
                lambda: server.verbs.list(kind, ns, q.get("labelSelector"), core_fields),
            )
        except LookupError:
            # The real server answers 200 and one ERROR event carrying the 410 Status.
            expired = gone(rv).status()
        if (
            initial and expired is None
        ):  # the end of the initial ADDED events, as a bookmark marks it
            meta = {"resourceVersion": str(hub.last_rv),
                    "annotations": {"k8s.io/initial-events-end": "true"}}  # fmt: skip
            bookmark = {"kind": served.kind, "apiVersion": served.group_version, "metadata": meta}
            watch.events.put(("BOOKMARK", bookmark))
    as_table = tables.wants_table(handler.headers.get("Accept", ""))
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    deadline = time.monotonic() + float(q.get("timeoutSeconds") or DEFAULT_TIMEOUT_S)
    if expired is not None:
        line = json.dumps({"type": "ERROR", "object": expired}) + "\n"
        _write_chunk(handler.wfile, line.encode())
        _write_chunk(handler.wfile, b"")
        return
    bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
    last_sent = time.monotonic()
    try:
        while not server.closing and time.monotonic() < deadline:
            try:
                event = watch.events.get(timeout=min(0.5, BOOKMARK_S))
            except queue.Empty:
                if bookmarks and time.monotonic() - last_sent >= BOOKMARK_S:
                    meta = {"resourceVersion": str(hub.last_rv)}
                    mark = {
                        "kind": served.kind,
                        "apiVersion": served.group_version,
                        "metadata": meta,
                    }
                    line = json.dumps({"type": "BOOKMARK", "object": mark}) + "\n"
                    _write_chunk(handler.wfile, line.encode())
                    last_sent = time.monotonic()
                continue
            last_sent = time.monotonic()
            if event is None:
                break
            type_, body = event
            if convert is not None and type_ != "BOOKMARK":
                body = convert(body)
            if type_ != "BOOKMARK" and terms and not field_matches(body, terms):
                continue
            obj = body
            if as_table and type_ != "BOOKMARK":
                obj = tables.table(kind.kind, [body], api.clock.now,
                                   body["metadata"].get("resourceVersion", ""))  # fmt: skip
            line = json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n"
            _write_chunk(handler.wfile, line.encode())
        _write_chunk(handler.wfile, b"")
    except (BrokenPipeError, ConnectionResetError, OSError):
        handler.close_connection = True
    finally:
        with api.lock:
            hub.stop(watch)
