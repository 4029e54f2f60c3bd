"""The HTTP request handler: bearer-token check, routing, JSON and Table responses, watches.

Paths as the real server lays them out (kubernetes.io/docs/reference/using-api/api-concepts/
#resource-uris): ``/api/v1/namespaces/<ns>/pods/<name>``, ``/apis/apps/v1/deployments``,
``.../deployments/<name>/scale``. Every response is JSON; errors are Status objects.
"""

from __future__ import annotations

import hmac
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from helpers.core.kinds import KINDS, SERVED_VIEWS, by_path
from helpers.sim import dryrun
from helpers.sim.httpapi import (
    discovery,
    metricsapi,
    paging,
    protobuf,
    statuses,
    subresources,
    tables,
)
from helpers.sim.httpapi.eventsv1 import to_events_v1
from helpers.sim.httpapi.statuses import ApiError, unauthorized, unsupported_media
from helpers.sim.httpapi.streams import stream_watch
from helpers.sim.httpapi.verbs import APPLY_PATCH, field_matches, parse_field_selector

OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
                "DELETE": "DeleteOptions"}  # fmt: skip


def dry_run(method: str, values: list[str] | None) -> bool:
    """Whether a write is a dry run (``?dryRun=All``); any other value is refused as the
    real server refuses it: 422 ``CreateOptions.meta.k8s.io "" is invalid: dryRun: ...``.
    (kubernetes.io/docs/reference/using-api/api-concepts/#dry-run)"""
    if not values or method not in OPTIONS_KIND:
        return False
    bad = [v for v in values if v != dryrun.DRY_RUN_ALL]
    if bad:
        shown = ", ".join(f'"{v}"' for v in values)
        raise ApiError(
            422,
            "Invalid",
            f'{OPTIONS_KIND[method]}.meta.k8s.io "" is invalid: dryRun: Unsupported value: '
            f'[]string{{{shown}}}: supported values: "{dryrun.DRY_RUN_ALL}"',
        )
    return True


class Handler(BaseHTTPRequestHandler):
    """One connection's requests; ``self.server`` is the ApiServer (token, verbs, hub)."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked watch streams, as Go expects
    server_version = "orchestra-sim"

    def log_message(self, format, *args):
        """Silent: request lines go nowhere, so nothing secret can reach a log."""

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    # ---- plumbing ------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        body = self._body()
        try:
            if not self._authorized():
                raise unauthorized()
            self._route(method, body)
        except ApiError as err:
            self._send(err.code, err.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = self.server.token
        return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, obj: dict | bytes, ctype: str = "application/json") -> None:
        data = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, body: bytes):
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        # No Content-Type is read as JSON, the first media type the server supports (as
        # NegotiateInputSerializerForMediaType does); the Python client sends none on POST.
        if ctype == protobuf.MEDIA_TYPE:
            # Typed clients (kubectl create secret, helm's release records) write protobuf.
            try:
                return protobuf.decode(body)
            except protobuf.ProtobufError as err:
                raise unsupported_media(ctype, str(err)) from None
        if ctype and not ctype.endswith("json"):
            raise unsupported_media(ctype)
        try:
            return json.loads(body or b"{}")
        except ValueError as err:
            raise ApiError(400, "BadRequest", f"the body is not JSON: {err}") from None

    # ---- routing -------------------------------------------------------------------------
    def _route(self, method: str, body: bytes) -> None:
        url = urlsplit(self.path)
        path, query = url.path.rstrip("/") or "/", parse_qs(url.query)
        q = {k: v[-1] for k, v in query.items()}
        verbs = self.server.verbs
        if method == "GET":
            if path in ("/api", "/apis") and discovery.wants_aggregated(
                self.headers.get("Accept", "")
            ):
                return self._send(200, discovery.aggregated(path), discovery.AGGREGATED_V2)
            doc = discovery.document(path, self.server.address)
            if doc is None and path.startswith("/openapi/v3"):
                doc = discovery.openapi_v3(path)
            if doc is not None:
                return self._send(200, doc)
            if path.startswith(metricsapi.PREFIX):
                return self._send(200, metricsapi.serve(verbs.api, self.server.plane, path, q))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["api"] and len(parts) >= 3:
            gv, rest = parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 4:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = ([*rest, None, None])[:3]
        kind = by_path(gv, plural)
        if kind is None or len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if kind in SERVED_VIEWS:
            return self._events_v1(method, kind, name, namespace, sub, q)
        dry = dry_run(method, query.get("dryRun") or self._delete_options(method, body, sub))
        manager = q.get("fieldManager") or self._user_agent_name()
        if sub and sub != "scale":
            return self._subresource(method, kind, name, namespace, sub, q, dry)
        if sub == "scale":
            patch = self._json(body) if method in ("PUT", "PATCH") else None
            return self._send(200, verbs.scale(kind, name, namespace, patch, dry, manager))
        if name is None:
            if method == "POST":
                return self._send(
                    201, verbs.create(kind, namespace, self._json(body), dry, manager)
                )
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", f"{method} on a collection")
            if q.get("watch") in ("true", "1"):
                return stream_watch(self, kind, namespace, q)
            return self._list(kind, namespace, q)
        if method == "GET":
            obj = verbs.get(kind, name, namespace)
            return self._send(200, self._maybe_table(kind, [obj], obj) or obj)
        if method == "PUT":
            doc = self._json(body)
            return self._send(200, verbs.replace(kind, name, namespace, doc, dry, manager))
        if method == "PATCH":
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
            if ctype == APPLY_PATCH:  # server-side apply: the manager must be named
                config = self._yaml(body)
                force = q.get("force") in ("true", "1")
                obj, created = verbs.server_side_apply(
                    kind, name, namespace, config, q.get("fieldManager", ""), force, dry
                )
                return self._send(201 if created else 200, obj)
            patch = self._json(body)
            return self._send(200, verbs.patch(kind, name, namespace, patch, ctype, dry, manager))
        if method == "DELETE":
            return self._send(200, verbs.delete(kind, name, namespace, dry))
        raise ApiError(405, "MethodNotAllowed", method)

    def _user_agent_name(self) -> str:
        """The default field manager: the User-Agent up to its first "/" (``kubectl``)."""
        return self.headers.get("User-Agent", "").split("/")[0].strip()

    def _yaml(self, body: bytes) -> dict:
        """An apply configuration (YAML or JSON); 400 if it is not one object."""
        try:
            doc = yaml.safe_load(body or b"{}")
        except yaml.YAMLError as err:
            raise ApiError(400, "BadRequest", f"error decoding YAML: {err}") from None
        if not isinstance(doc, dict):
            raise ApiError(400, "BadRequest", "the apply configuration is not an object")
        return doc

    def _delete_options(self, method: str, body: bytes, sub: str | None) -> list[str] | None:
        """dryRun from the DeleteOptions kubectl sends in a body: a DELETE's, or an
        Eviction's ``deleteOptions`` (POST .../eviction)."""
        eviction = method == "POST" and sub == "eviction"
        if not body or not (method == "DELETE" or eviction):
            return None
        options = self._json(body)
        if eviction and isinstance(options, dict):
            options = options.get("deleteOptions") or {}
        dry = options.get("dryRun") if isinstance(options, dict) else None
        return dry if isinstance(dry, list) else None

    def _subresource(self, method, kind, name, namespace, sub, q, dry=False) -> None:
        api = self.server.verbs.api
        if kind.kind == "Pod" and sub == "log" and method == "GET":
            return self._send(200, subresources.pod_log(api, name, namespace, q), "text/plain")
        if kind.kind == "Pod" and sub == "eviction" and method == "POST":
            return self._send(201, subresources.evict(api, name, namespace, dry))
        if sub == "status" and method == "GET":
            return self._send(200, self.server.verbs.get(kind, name, namespace))
        raise statuses.not_modelled(f"{method} {kind.resource}/{sub}")

    def _list(self, kind, namespace, q, convert=None, served=None) -> None:
        """A list (or Table) of ``kind``; ``convert`` turns each object into the form of the
        ``served`` resource (events.k8s.io/v1 over the core Events), whose field names the
        field selector then uses; a Table keeps the stored kind's columns.

        The page is chosen, built and encoded under the lock, from uncopied views of the
        stored objects (a deep copy of each was most of a list's cost at 1,000 pods), and
        sent outside it: a slow reader stalls nobody."""
        api, verbs = self.server.verbs.api, self.server.verbs
        served = served or kind
        selector, fields = q.get("labelSelector"), q.get("fieldSelector")
        limit, cont = q.get("limit"), q.get("continue")
        table = tables.wants_table(self.headers.get("Accept", ""))
        with api.lock:
            rv = str(self.server.hub.last_rv)
            if convert is None:
                objs, more = verbs.views_page(kind, namespace, selector, fields, limit, cont, rv)
            else:
                terms = parse_field_selector(fields)
                pairs = [(o, convert(o)) for o in verbs.list(kind, namespace, selector, None)]
                kept = [(o, c) for o, c in pairs if not terms or field_matches(c, terms)]
                objs = [o if table else c for o, c in kept]
                objs, more = paging.page(objs, limit, cont, rv)
            if table:
                include = q.get("includeObject", "Metadata")
                body = tables.table(kind.kind, objs, api.clock.now, rv, include)
            else:
                body = {"kind": f"{served.kind}List", "apiVersion": served.group_version,
                        "metadata": {"resourceVersion": rv}, "items": objs}  # fmt: skip
            body["metadata"].update(more)
            data = json.dumps(body, separators=(",", ":")).encode()
        self._send(200, data)

    def _events_v1(self, method, view, name, namespace, sub, q) -> None:
        """events.k8s.io/v1: the core Events converted (get, list, watch; Tables as core's)."""
        if method != "GET" or sub:
            raise ApiError(405, "MethodNotAllowed", f"{method} on {view.resource}: read-only here")
        core, verbs = KINDS[view.kind], self.server.verbs
        if name is not None:
            obj = verbs.get(core, name, namespace)
            return self._send(200, self._maybe_table(core, [obj], obj) or to_events_v1(obj))
        if q.get("watch") in ("true", "1"):
            return stream_watch(self, core, namespace, q, convert=to_events_v1, served=view)
        return self._list(core, namespace, q, convert=to_events_v1, served=view)

    def _maybe_table(self, kind, objs, one, rv=None, include="Metadata"):
        if not tables.wants_table(self.headers.get("Accept", "")):
            return None
        if rv is None:
            rv = one["metadata"].get("resourceVersion", "")
        return tables.table(kind.kind, objs, self.server.verbs.api.clock.now, rv, include)
