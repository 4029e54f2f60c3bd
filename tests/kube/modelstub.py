"""A stand-in for the model service's HTTP surface: POST /predict with version headers."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 refuses bursts of connections
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that drops its connection (the tests' watch drops, a closed cluster)
        # is expected here; anything else still prints its traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ModelStub:
    """Answers POST /predict after ``delay`` seconds, as pod ``pod`` of ``version``."""

    def __init__(
        self, delay: float = 0.0, version: str = "v1", pod: str = "model-aaa-11111", port: int = 0
    ):
        self.delay, self.version, self.pod = delay, version, pod
        self.bodies: list[dict] = []
        self.peers: list[int] = []  # the client port of each request: one per connection
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.bodies.append(body)
                stub.peers.append(self.client_address[1])
                time.sleep(stub.delay)  # the model's latency, on the server side
                data = json.dumps(
                    {
                        "predictions": [0] * len(body["rows"]),
                        "version": stub.version,
                        "pod": stub.pod,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Model-Version", stub.version)
                self.send_header("X-Pod", stub.pod)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ModelStub:
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
