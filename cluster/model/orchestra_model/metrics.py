"""Prometheus metrics and the ASGI middleware that records every request.

Each app gets its own registry, so tests can build many apps in one process without
"Duplicated timeseries" errors from the global default registry.
"""

from __future__ import annotations

from time import perf_counter

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Paths are a label: anything outside the API is folded into "other", so a scanner
# probing random URLs cannot grow the number of time series without bound.
KNOWN_PATHS = frozenset({"/predict", "/healthz", "/readyz", "/version", "/metrics", "/fault/exit"})

# Single-row predictions take about a millisecond; the buckets resolve 0.5 ms to 5 s
# so both a healthy server and MODEL_FAULT_LATENCY_MS show up.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """The service's metrics, in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "model_requests",
            "HTTP requests by path and status code.",
            ["path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "model_request_duration_seconds",
            "Time from request start to the end of the response, by path.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "model_requests_in_flight",
            "Requests begun and not yet answered, by path.",
            ["path"],
            registry=self.registry,
        )
        self.ready = Gauge("model_ready", "1 when /readyz answers 200.", registry=self.registry)
        self.memory_held = Gauge(
            "model_fault_memory_held_bytes",
            "Bytes held by MODEL_FAULT_MEMORY_MB_PER_S.",
            registry=self.registry,
        )
        self.predictions = Counter(
            "model_predictions", "Rows predicted.", ["version"], registry=self.registry
        )
        self.version = version
        self._children: dict[tuple[str, int], tuple] = {}
        self._in_flight: dict[str, Gauge] = {}

    def in_flight_child(self, label: str):
        """The in-flight gauge for one path label (cached, see `observe`)."""
        child = self._in_flight.get(label)
        if child is None:
            child = self._in_flight[label] = self.in_flight.labels(label)
        return child

    @staticmethod
    def path_label(path: str) -> str:
        """The `path` label value for a request path."""
        return path if path in KNOWN_PATHS else "other"

    def observe(self, label: str, status: int, seconds: float) -> None:
        """Record one finished request under its path label."""
        # Children cached by label: `labels()` takes a lock and builds a key each call,
        # a visible cost at a thousand requests a second on one core.
        key = (label, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(label, str(status)), self.latency.labels(label))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


class InstrumentMiddleware:
    """Pure ASGI middleware: times each request and stamps the identity headers.

    Pure ASGI rather than Starlette's BaseHTTPMiddleware: it adds no extra task per
    request, which matters for the single-core throughput the labs measure.
    """

    def __init__(self, app, metrics: Metrics, headers: dict[str, str]) -> None:
        self.app = app
        self.metrics = metrics
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        label = self.metrics.path_label(scope["path"])
        in_flight = self.metrics.in_flight_child(label)
        in_flight.inc()
        start = perf_counter()
        status = 500  # what the client sees if the app raises before responding

        async def send_with_headers(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *self.headers]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            in_flight.dec()
            self.metrics.observe(label, status, perf_counter() - start)
