"""Benchmark: ClusterView's kernel-side cost for one pod change on a big cluster.

100 nodes and 1,000 pods. For each of 200 single-pod changes we time the path from the
subscribe callback to the message handed to the comm (queue, coalesce, diff, JSON), and
compare the message's size with the full state's. Target: <= 50 ms per change, and a
patch far smaller than the full state. Also times a burst of 10,000 changes (what the
simulator produces inside one cluster.sleep) flushed as one message.

Run: .venv/bin/python bench/bench_views.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.views.clusterview import ClusterView  # noqa: E402
from tests.views.fakecluster import FakeCluster  # noqa: E402

NODES, PODS, CHANGES, BURST = 100, 1000, 200, 10_000
BUDGET_MS = 50.0


class SizingComm:
    """Stands in for the kernel's comm: serialises each message as the kernel would."""

    comm_id = "bench"

    def __init__(self):
        self.sizes: list[int] = []

    def send(self, data=None, metadata=None, buffers=None):
        self.sizes.append(len(json.dumps(data, separators=(",", ":")).encode()))

    def on_msg(self, callback):
        pass

    def close(self, *args, **kwargs):
        pass


def main() -> int:
    cluster = FakeCluster(workers=NODES - 1, replicas=PODS)
    started = time.perf_counter()
    view = ClusterView(cluster, background=False)
    build_ms = (time.perf_counter() - started) * 1000
    view.comm = SizingComm()
    full_bytes = len(json.dumps(view.state, separators=(",", ":")).encode())
    keys = sorted(cluster.pods_)
    times, sizes = [], []
    for i in range(CHANGES):
        key = keys[(i * 37) % len(keys)]
        row = {**cluster.pods_[key], "ready": i % 2 == 0, "restarts": i + 1}
        change = {"kind": "Pod", "type": "MODIFIED", "key": key, "row": row, "time": i * 0.1}
        t0 = time.perf_counter()
        view._on_change(change)  # what cluster.subscribe calls
        patch = view.flush()  # coalesce, diff, hand to the comm
        times.append((time.perf_counter() - t0) * 1000)
        assert patch is not None and list(patch["pods"]) == [key]
        sizes.append(view.comm.sizes[-1])

    t0 = time.perf_counter()
    for i in range(BURST):
        key = keys[i % len(keys)]
        row = {**cluster.pods_[key], "restarts": 1000 + i}
        view._on_change({"kind": "Pod", "type": "MODIFIED", "key": key, "row": row, "time": 99.0})
    queued_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    view.flush()
    burst_flush_ms = (time.perf_counter() - t1) * 1000
    view.stop()

    median, worst = statistics.median(times), max(times)
    print(f"ClusterView, {NODES} nodes, {PODS} pods (build: {build_ms:.0f} ms)")
    print(f"one pod change, callback -> comm: median {median:.3f} ms, max {worst:.3f} ms")
    print(f"patch message: median {statistics.median(sizes):.0f} B, max {max(sizes)} B;")
    print(f"full state: {full_bytes} B ({full_bytes / statistics.median(sizes):.0f}x larger)")
    print(
        f"burst of {BURST} changes: {queued_ms / BURST * 1000:.2f} us per callback, "
        f"one flush {burst_flush_ms:.1f} ms, one message of {view.comm.sizes[-2]} B (every pod changed)"
    )
    ok = worst <= BUDGET_MS and max(sizes) * 10 < full_bytes
    print("PASS" if ok else f"FAIL: budget {BUDGET_MS} ms per change, patch < 1/10 of full state")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
