"""A small fake Kubernetes API server speaking the real HTTP protocol, for the kube backend.

It serves what the backend uses: /version, list with resourceVersion and labelSelector,
chunked watch streams (newline-delimited JSON events), GET, POST, PATCH (server-side
apply and JSON merge patch), DELETE, the pods/eviction subresource, and Status objects
for errors. Tests drive it like a controller would (``put``, ``remove``) and can force a
410 Gone, drop every watch connection, or refuse evictions with 429.
(kubernetes.io/docs/reference/using-api/api-concepts/)
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.kube.fakestate import KINDS, PLURAL_OF, FakeState, route, selected, status
from tests.kube.fakeverbs import dispatch

TOKEN = "fake-token-0123456789-do-not-leak"


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 refuses bursts of connections
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that drops its connection (the tests' watch drops, a closed cluster)
        # is expected here; anything else still prints its traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeApiServer:
    """The fake API server on 127.0.0.1 at a random port.

    Example:
        >>> with FakeApiServer() as api:
        ...     kubeconfig = api.kubeconfig(tmp_path)
    """

    def __init__(self):
        self.state = FakeState()
        self.requests: list[dict] = []
        self.evict_refusals: dict[str, int] = {}  # "ns/name" -> 429 answers still to give
        self.watch_gone_http = False  # True: answer an expired watch with HTTP 410, not an event
        self._drops = 0  # bumped to drop every open watch
        self._expiries = 0  # bumped to send ERROR 410 on every open watch
        self.stopping = False
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.state.changed:
            self.stopping = True
            self.state.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def kubeconfig(self, directory: Path, context: str = "fake", token: str = TOKEN) -> Path:
        """Write a kubeconfig for this server with one context and a bearer token."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "student", "user": {"token": token}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "student"}}],
            "current-context": context,
        }
        path = Path(directory) / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        return path

    # ---- what tests and "controllers" do ------------------------------------------------
    def put(self, obj: dict) -> dict:
        """Create or replace an object (as a controller would) and notify watchers."""
        res = PLURAL_OF[obj["kind"]]
        ns = obj["metadata"].get("namespace", "default") if KINDS[res][1] else None
        return self.state.write(res, ns, obj)[0]

    def obj(self, kind: str, name: str, namespace: str | None = "default") -> dict | None:
        res = PLURAL_OF[kind]
        return self.state.get(res, namespace if KINDS[res][1] else None, name)

    def remove(self, kind: str, name: str, namespace: str | None = "default") -> None:
        res = PLURAL_OF[kind]
        self.state.remove(res, namespace if KINDS[res][1] else None, name)

    def expire_watches(self) -> None:
        """Compact history: open watches get ERROR 410 and old resourceVersions are gone."""
        with self.state.changed:
            self.state.compacted = self.state.rv + 1
            self._expiries += 1
            self.state.changed.notify_all()

    def drop_watches(self) -> None:
        """Cut every open watch connection mid-stream (no final chunk)."""
        with self.state.changed:
            self._drops += 1
            self.state.changed.notify_all()

    def count(self, method: str, path_part: str = "", **query) -> int:
        return sum(
            1
            for r in self.requests
            if r["method"] == method
            and path_part in r["path"]
            and all(r["query"].get(k) == v for k, v in query.items())
        )


class _Handler(BaseHTTPRequestHandler):
    api: FakeApiServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes would otherwise wait on delayed ACKs

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return yaml.safe_load(raw) if raw else None  # JSON is YAML: one parser for both

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = self._body() if method in ("POST", "PATCH", "PUT", "DELETE") else None
        ctype = self.headers.get("Content-Type", "")
        self.api.requests.append(
            {"method": method, "path": url.path, "query": query, "type": ctype, "body": body}
        )
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, status(401, "Unauthorized", "Unauthorized"))
        if url.path == "/version":
            return self._send(200, {"major": "1", "minor": "34", "gitVersion": "v1.34.0-fake"})
        where = route(url.path)
        if where is None:
            msg = "the server could not find the requested resource"
            return self._send(404, status(404, "NotFound", msg, {}))
        dispatch(self, method, where, query, body, ctype)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    # ---- watch streams -------------------------------------------------------------------
    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def watch(self, res: tuple, ns: str | None, query: dict) -> None:
        api, state = self.api, self.api.state
        since = int(query.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or 60)
        if since and since < state.compacted and api.watch_gone_http:
            msg = f"too old resource version: {since} ({state.compacted})"
            return self._send(410, status(410, "Expired", msg))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        drops, expiries = api._drops, api._expiries
        if since and since < state.compacted:
            expiries = -1  # expired already: the first thing sent is the ERROR event
        while True:
            with state.changed:
                state.changed.wait_for(
                    lambda since=since: (
                        api.stopping
                        or api._drops != drops
                        or api._expiries != expiries
                        or state.events_after(res, ns, since)
                        or time.monotonic() > deadline
                    ),
                    timeout=max(0.0, deadline - time.monotonic()),
                )
                events = state.events_after(res, ns, since)
            if api._drops != drops or api.stopping:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # mid-stream, no final chunk
                return
            if api._expiries != expiries:
                gone = status(410, "Expired", "too old resource version")
                self.chunk(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
                break
            for rv, kind_of_change, obj in events:
                if selected(obj, query.get("labelSelector")):
                    line = json.dumps({"type": kind_of_change, "object": obj}) + "\n"
                    self.chunk(line.encode())
                since = rv
            if time.monotonic() > deadline:
                break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
