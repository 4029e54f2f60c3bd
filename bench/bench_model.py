"""Open-loop load on one model server pinned to one core: the max sustainable rate.

One uvicorn process serves v2 on 127.0.0.1, pinned to core 0. This process, pinned to
core 1, sends single-row POST /predict requests on a fixed schedule (open loop: a request
goes out at its time whether or not earlier ones have been answered), and latency counts
from the scheduled time, so a slow server cannot hide queueing (no coordinated omission).
The offered rate steps up until a step is not sustainable:

    sustainable = achieved >= 97 % of offered, no errors, p99 <= 20 ms

Run: `.venv/bin/python bench/bench_model.py` (or `make bench`). Loopback only; about a
minute at most; every loop is bounded in time and count. BENCH_SERVER_PYTHON=/path/python
runs the server with another interpreter (e.g. a venv of cluster/model/requirements-server.txt,
which has httptools, as in the image).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np

REPO = Path(__file__).resolve().parent.parent
RATES = (250, 500, 1000, 1250, 1500, 1750, 2000, 2500, 3000)  # offered req/s per step
STEP_SECONDS = 3.0
WARMUP_SECONDS = 2.0  # opens the connection pool and warms code paths before step 1
MAX_IN_FLIGHT = 256  # past this the server is hopelessly behind: count as errors
P99_LIMIT_MS = 20.0
ACHIEVED_RATIO = 0.97
# The labs' traffic: 50 req/s for 20 s. Its latency percentiles are what the simulator's
# served-time spread can be refitted to (helpers/sim/routing.py, SERVICE_SIGMA).
LAB_RATE, LAB_SECONDS = 50.0, 20.0
SERVER_PYTHON = os.environ.get("BENCH_SERVER_PYTHON", sys.executable)


@dataclass
class Step:
    offered: float
    achieved: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # server CPU time per answered request

    @property
    def sustainable(self) -> bool:
        return (
            self.achieved >= ACHIEVED_RATIO * self.offered
            and self.errors == 0
            and self.p99_ms <= P99_LIMIT_MS
        )


def pin(cores: set[int]) -> None:
    """Pin the calling process to `cores` when the machine has them (Linux only)."""
    if hasattr(os, "sched_setaffinity") and max(cores) < (os.cpu_count() or 1):
        os.sched_setaffinity(0, cores)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(root: Path, port: int) -> subprocess.Popen:
    from orchestra_model import local

    return local.spawn(
        "v2",
        port,
        artifacts=root,
        python=SERVER_PYTHON,
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: pin({0}),
        SHUTDOWN_DRAIN_SECONDS="0",
    )


async def wait_ready(session: aiohttp.ClientSession, base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("server not ready within 30 s")


async def run_step(session, url: str, body: bytes, rate: float, seconds: float) -> Step:
    """Send `rate * seconds` requests on schedule; latency from each scheduled time."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    in_flight = 0
    headers = {"content-type": "application/json"}

    async def one(scheduled: float) -> None:
        nonlocal errors, in_flight
        in_flight += 1
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status == 200:
                    latencies.append(time.perf_counter() - scheduled)
                else:
                    errors += 1
        except (TimeoutError, aiohttp.ClientError):
            errors += 1
        finally:
            in_flight -= 1

    tasks = []
    start = time.perf_counter()
    sent = 0
    while sent < total:
        now = time.perf_counter()
        # Launch everything whose time has come, then sleep until the next one is due.
        while sent < total and start + sent / rate <= now:
            if in_flight >= MAX_IN_FLIGHT:
                errors += 1  # the request could not even be sent on time
            else:
                tasks.append(asyncio.ensure_future(one(start + sent / rate)))
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    elapsed = time.perf_counter() - start
    lat_ms = np.asarray(latencies) * 1000 if latencies else np.asarray([np.inf])
    return Step(
        offered=rate,
        achieved=len(latencies) / elapsed,
        p50_ms=float(np.percentile(lat_ms, 50)),
        p95_ms=float(np.percentile(lat_ms, 95)),
        p99_ms=float(np.percentile(lat_ms, 99)),
        errors=errors,
    )


async def bench(base: str, proc: subprocess.Popen) -> tuple[Step, list[Step]]:
    from orchestra_model import data

    body = ('{"rows": [' + ",".join(map(str, data.sample_rows(1)[0])) + "]}").encode()
    body = body.replace(b"[", b"[[", 1).replace(b"]}", b"]]}")
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await wait_ready(session, base, proc)
        await run_step(session, f"{base}/predict", body, RATES[0], WARMUP_SECONDS)
        lab = await run_step(session, f"{base}/predict", body, LAB_RATE, LAB_SECONDS)
        steps: list[Step] = []
        for rate in RATES:
            cpu_before = cpu_seconds(proc.pid)
            step = await run_step(session, f"{base}/predict", body, rate, STEP_SECONDS)
            answered = step.achieved * STEP_SECONDS
            # CPU per request is steadier than latency when other work shares the machine.
            step.cpu_us = (cpu_seconds(proc.pid) - cpu_before) / max(answered, 1) * 1e6
            steps.append(step)
            saturated = step.errors > 0 or step.achieved < ACHIEVED_RATIO * step.offered
            if saturated and len(steps) > 1 and steps[-2].errors + (not steps[-2].sustainable):
                break  # throughput no longer keeps up, twice: past the knee
    return lab, steps


def main() -> int:
    sys.path.insert(0, str(REPO / "cluster" / "model"))
    from orchestra_model import artifacts

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        artifacts.ensure("v2", root)
        from orchestra_model.local import free_port

        port = free_port()
        proc = start_server(root, port)
        pin({1})
        try:
            lab, steps = asyncio.run(bench(f"http://127.0.0.1:{port}", proc))
        finally:
            proc.terminate()
            proc.wait(10)
    # uvicorn picks httptools (a C parser) when installed, else the pure-Python h11.
    has_httptools = subprocess.run([SERVER_PYTHON, "-c", "import httptools"], capture_output=True)
    parser = "httptools" if has_httptools.returncode == 0 else "h11"
    print(f"model server: 1 uvicorn process ({parser}) on core 0, client on core 1,")
    print(
        f"single-row POST /predict, open loop, {STEP_SECONDS:g} s per step, {os.cpu_count()} cores"
    )
    head = f"{'offered/s':>10} {'achieved/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(f"{head} {'server CPU/req':>15}  ok")
    for s in steps:
        mark = "yes" if s.sustainable else "no"
        print(
            f"{s.offered:>10.0f} {s.achieved:>11.0f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f}"
            f" {s.errors:>7} {s.cpu_us:>12.0f} us  {mark}"
        )
    print(
        f"at the labs' {LAB_RATE:g} req/s for {LAB_SECONDS:g} s: p50 {lab.p50_ms:.2f} ms,"
        f" p95 {lab.p95_ms:.2f} ms, p99 {lab.p99_ms:.2f} ms, {lab.errors} errors"
    )
    best = max((s.offered for s in steps if s.sustainable), default=0)
    print(f"max sustainable rate: {best:.0f} req/s (p99 <= {P99_LIMIT_MS:.0f} ms, no errors)")
    loaded = [s.cpu_us for s in steps if s.cpu_us > 0]
    if loaded:
        cpu = float(np.median(loaded))
        print(f"server CPU per request (median of steps): {cpu:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
