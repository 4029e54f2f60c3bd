"""The simulator's Kubernetes API server on 127.0.0.1: start it, point kubectl at it, close it.

Built on the standard library's ThreadingHTTPServer: one thread per connection suits a
handful of kubectl clients and long-lived watches, and it adds no web framework to the
simulator (uvicorn and FastAPI are the model image's; an asyncio server would need every
verb to hop onto the cluster lock from an event loop anyway). TLS uses a certificate made
at start (helpers.sim.httpapi.credentials); requests need the bearer token it wrote into
the kubeconfig.

Example:
    >>> handle = cluster.serve_api(kubeconfig="sim.kubeconfig")
    >>> # !kubectl --kubeconfig sim.kubeconfig get pods
    >>> handle.close()
"""

from __future__ import annotations

import ssl
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from helpers.sim.httpapi import credentials
from helpers.sim.httpapi.handler import Handler
from helpers.sim.httpapi.verbs import Verbs
from helpers.sim.httpapi.watches import WatchHub

LOOPBACK = "127.0.0.1"  # never another interface: the token is the only lock on the door


class ApiServer(ThreadingHTTPServer):
    """The HTTP(S) server; handlers read ``token``, ``verbs``, ``hub`` and ``address``."""

    daemon_threads = True  # an open watch never keeps the interpreter alive
    block_on_close = False

    def __init__(self, api, port: int, tls: ssl.SSLContext | None, token: str, plane=None):
        super().__init__((LOOPBACK, port), Handler)
        self.tls, self.token, self.plane = tls, token, plane  # plane: metrics for kubectl top
        self.verbs = Verbs(api)
        with api.lock:
            self.hub = WatchHub(api.store)
        self.closing = False
        self.address = f"{LOOPBACK}:{self.server_address[1]}"

    def finish_request(self, request, client_address):
        """Run the TLS handshake in the connection's own thread, then serve it."""
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # a client that hung up or spoke plain HTTP: nothing to answer
        super().finish_request(request, client_address)


class ApiHandle:
    """A running API server: ``url``, ``kubeconfig`` (the file written) and ``close()``."""

    def __init__(self, server: ApiServer, url: str, kubeconfig: Path | None):
        self._server, self.url, self.kubeconfig = server, url, kubeconfig
        self._thread = threading.Thread(
            target=server.serve_forever, name="sim-apiserver", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return self._server.server_address[1]

    @property
    def token(self) -> str:
        """The bearer token, for blanking it from outputs: never print it."""
        return self._server.token

    def close(self) -> None:
        """End open watches, stop listening (safe to call twice)."""
        if self._server.closing:
            return
        self._server.closing = True
        with self._server.verbs.api.lock:
            self._server.hub.close()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ApiHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:  # the token stays out of reprs, too
        return f"<ApiHandle {self.url} kubeconfig={self.kubeconfig}>"


def serve(api, kubeconfig=None, port: int = 0, tls: bool = True, plane=None) -> ApiHandle:
    """Serve ``api`` (a SimApiServer) on 127.0.0.1:``port`` (0: a free port).

    Args:
        api: the simulator's API server (``SimCluster.api``).
        kubeconfig: where to write a kubeconfig (context ``orchestra-sim``), or None.
        port: the TCP port; 0 picks a free one.
        tls: HTTPS with a fresh self-signed certificate (the default), or plain HTTP.
        plane: the cluster's DataPlane, whose metrics ``kubectl top`` reads (None: no
            metrics API).

    Example:
        >>> handle = serve(cluster.api, kubeconfig="sim.kubeconfig")
        >>> handle.url
        'https://127.0.0.1:41234'
    """
    token = credentials.new_token()
    cert = context = None
    if tls:
        cert, key = credentials.self_signed(LOOPBACK)
        context = credentials.server_context(cert, key)
    server = ApiServer(api, port, context, token, plane)
    url = f"{'https' if tls else 'http'}://{server.address}"
    path = None
    if kubeconfig is not None:
        path = credentials.write_kubeconfig(kubeconfig, url, token, cert)
    return ApiHandle(server, url, path)
