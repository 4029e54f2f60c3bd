"""The kube backend's traffic driver: open-loop HTTP load from an asyncio loop in a thread.

Request i leaves at its scheduled time whatever the earlier ones are doing, so a slow or
failing service shows up as latency and errors instead of a lower send rate. At most
``max_in_flight`` requests are outstanding; a request that finds no free slot is recorded
as failed (status 0) so overload stays visible. Latency counts from the scheduled send
time, so a client that falls behind shows up as latency too (no coordinated omission).

Each request comes from an independent user on a connection of its own (``Connection:
close``, as ``curl`` in a loop sends): a Service balances connections, not requests (kube-
proxy picks an endpoint when a connection opens), so one client that keeps its connections
alive talks to one or two pods for minutes. ``keep_alive=True`` models that client instead.
(kubernetes.io/docs/reference/networking/virtual-ips/)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from helpers.core.traffic import (
    STATUS_NOT_SENT,
    STATUS_REFUSED,
    STATUS_TIMEOUT,
    Schedule,
    TrafficRun,
)

if TYPE_CHECKING:
    from helpers.core.api import Cluster

MAX_IN_FLIGHT = 256  # a laptop keeps this many sockets open without trouble
REQUEST_TIMEOUT_S = 5.0  # well above the model's p99 (tens of ms), well below a lab's patience


def default_rows() -> list[list[float]]:
    """One sample row from the model's data set (zeros when the package is absent)."""
    try:
        from orchestra_model.data import sample_rows

        return sample_rows(1, seed=0)
    except Exception:  # the helpers must work without the model package installed
        return [[0.0] * 64]


class HttpTrafficRun(TrafficRun):
    """Open-loop POST /predict load on a URL; results on the cluster clock.

    Example:
        >>> with cluster.traffic("model", rps=50) as run:
        ...     cluster.sleep(5)
        >>> run.summary()["ok"] > 0
        True
    """

    def __init__(
        self,
        service: str,
        schedule: Schedule,
        url: str,
        clock: Callable[[], float],
        rows: list[list[float]] | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
        timeout: float = REQUEST_TIMEOUT_S,
        keep_alive: bool = False,
    ):
        super().__init__(service, schedule)
        self.url = url.rstrip("/")
        self.rows = rows if rows is not None else default_rows()
        self.max_in_flight, self.timeout = max_in_flight, timeout
        self.keep_alive = keep_alive
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None
        self._ready = threading.Event()

    def _now(self) -> float:
        return self._clock()

    def _begin(self) -> None:
        if self._thread is not None:
            return  # already sending: start() twice is harmless
        # The schedule starts when sending does, not when traffic() built the run.
        self.schedule = dataclasses.replace(self.schedule, start=self._now())
        self._thread = threading.Thread(target=self._main, name="traffic", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)

    def _end(self) -> None:
        if self._loop is not None and self._halt is not None:
            # RuntimeError: the loop already finished because the schedule ran out.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._halt.set)
        if self._thread is not None:
            self._thread.join(self.timeout + 2.0)

    def _main(self) -> None:
        asyncio.run(self._send_all())

    async def _send_all(self) -> None:
        self._loop, self._halt = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        keep = 64 if self.keep_alive else 0
        limits = httpx.Limits(max_connections=self.max_in_flight, max_keepalive_connections=keep)
        headers = {} if self.keep_alive else {"Connection": "close"}
        in_flight: set[asyncio.Task] = set()
        async with httpx.AsyncClient(
            timeout=self.timeout, limits=limits, headers=headers
        ) as client:
            for i in range(self.schedule.limit):
                due = self.schedule.time_of(i)
                delay = due - self._now()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._halt.wait(), delay)
                if self._halt.is_set():
                    break
                if len(in_flight) >= self.max_in_flight:
                    self.record(due, 0.0, False, STATUS_NOT_SENT, None, None)
                    continue
                task = asyncio.create_task(self._one(client, due))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if in_flight:
                await asyncio.wait(set(in_flight), timeout=self.timeout + 0.5)
            for task in list(in_flight):
                task.cancel()
        self._finish()  # the schedule may have run out before stop()

    def _fail(self, due: float, sent: float, status: int) -> None:
        self.record(due, (time.perf_counter() - sent) * 1000, False, status, None, None)

    async def _one(self, client: httpx.AsyncClient, due: float) -> None:
        sent = time.perf_counter() - max(self._now() - due, 0.0)
        try:
            resp = await client.post(f"{self.url}/predict", json={"rows": self.rows})
        except httpx.TimeoutException:
            self._fail(due, sent, STATUS_TIMEOUT)
            return
        except (httpx.HTTPError, OSError):  # refused or reset: the pod was going away
            self._fail(due, sent, STATUS_REFUSED)
            return
        except asyncio.CancelledError:  # stop() gave up waiting for it
            self._fail(due, sent, STATUS_NOT_SENT)
            return
        self.record(
            due,
            (time.perf_counter() - sent) * 1000,
            200 <= resp.status_code < 300,
            resp.status_code,
            resp.headers.get("X-Model-Version"),
            resp.headers.get("X-Pod"),
        )


def start_traffic(
    cluster: Cluster,
    service: str,
    rps: float = 50,
    duration: float | None = None,
    namespace: str = "default",
    max_requests: int | None = None,
    rows: list[list[float]] | None = None,
    url: str | None = None,
    **options,
) -> HttpTrafficRun:
    """Open-loop load on ``service``; it starts sending in a with-block (or on ``start()``).

    Example:
        >>> with start_traffic(cluster, "model", rps=20, duration=5) as run:
        ...     cluster.sleep(5)
    """
    schedule = Schedule(rps=rps, start=cluster.now(), duration=duration, max_requests=max_requests)
    base = url or cluster.service(service, namespace).url
    return HttpTrafficRun(service, schedule, base, cluster.now, rows=rows, **options)
