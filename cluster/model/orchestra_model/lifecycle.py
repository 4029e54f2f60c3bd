"""The server's life: loading the model in the background, readiness, draining on SIGTERM.

Readiness follows Kubernetes' meaning: 200 only when this process can answer /predict
correctly (model loaded, hash-verified and warmed) and is not shutting down.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Protocol

import uvicorn

from orchestra_model.artifacts import ArtifactError, Model
from orchestra_model.data import N_FEATURES
from orchestra_model.faults import Faults, MemoryHog

log = logging.getLogger("orchestra_model")

# Rows pushed through a fresh model before readiness: the first numpy call pays for
# allocation and dispatch, and a wrong-shaped model fails here rather than on a user.
WARMUP_ROWS = [[0.0] * N_FEATURES, [8.0] * N_FEATURES, [16.0] * N_FEATURES]


class Drainable(Protocol):
    """What DrainingServer needs of an app's state: a way to turn readiness false."""

    def begin_shutdown(self) -> None: ...


class ServiceState:
    """What the endpoints read: the model once loaded, why not ready otherwise."""

    def __init__(self, version: str, faults: Faults, loader: Callable[[], Model]) -> None:
        self.version = version
        self.faults = faults
        self.model: Model | None = None
        self.reason = "loading model"
        self.shutting_down = False
        self.loaded = threading.Event()  # set once loading ended, with or without a model
        self._loader = loader
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.hog: MemoryHog | None = None

    @property
    def ready(self) -> bool:
        """True when /readyz answers 200."""
        return self.model is not None and not self.shutting_down

    def start(self) -> None:
        """Start loading in a thread (liveness answers meanwhile) and start fault hogs."""
        if self.faults.memory_mb_per_s > 0:
            self.hog = MemoryHog(self.faults.memory_mb_per_s)
            self.hog.start()
        self._thread = threading.Thread(target=self._load, name="model-loader", daemon=True)
        self._thread.start()

    def begin_shutdown(self) -> None:
        """Turn readiness false at once; the server keeps answering in-flight work."""
        if not self.shutting_down:
            log.info("shutting down: readiness is now false")
        self.shutting_down = True
        self.reason = "shutting down"

    def stop(self) -> None:
        """End background work (called from the app's shutdown)."""
        self.begin_shutdown()
        self._stop.set()
        if self.hog is not None:
            self.hog.stop()

    def _load(self) -> None:
        try:
            delay = self.faults.slow_start_seconds
            if delay > 0:
                self.reason = f"loading model (MODEL_FAULT_SLOW_START_SECONDS={delay:g})"
                if self._stop.wait(delay):
                    return
            model = self._loader()
            if model.version != self.version:
                raise ArtifactError(f"loaded {model.version}, expected {self.version}")
            model.predict(WARMUP_ROWS)
            self.model = model
            if not self.shutting_down:
                self.reason = "ready"
            log.info("model %s ready (sha256 %s)", model.version, model.sha256)
        except Exception as exc:  # any failure must leave the pod unready, not crash it
            self.reason = f"model not loaded: {exc}"
            log.error("model %s will never be ready: %s", self.version, exc)
        finally:
            self.loaded.set()


class DrainingServer(uvicorn.Server):
    """uvicorn with a lame-duck period and a clean exit code on SIGTERM.

    On the first SIGTERM/SIGINT readiness turns false at once and the server keeps
    serving for `drain_seconds` (clients still routed here get answers while endpoint
    removal spreads), then uvicorn's graceful shutdown finishes in-flight requests.
    A second signal skips the drain. Exit code 0: a requested stop is not a failure.
    """

    def __init__(self, config: uvicorn.Config, state: Drainable, drain_seconds: float) -> None:
        super().__init__(config)
        self.state = state
        self.drain_seconds = drain_seconds
        self._drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not calling super(): uvicorn re-raises captured signals after shutdown, which
        # would turn a clean drain into exit code 143.
        self.state.begin_shutdown()
        if self._drain_until is not None or self.drain_seconds <= 0:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True
            return
        log.info("signal %d: draining for %.1f s before closing", sig, self.drain_seconds)
        self._drain_until = time.monotonic() + self.drain_seconds

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and time.monotonic() >= self._drain_until:
            self.should_exit = True
        return await super().on_tick(counter)
