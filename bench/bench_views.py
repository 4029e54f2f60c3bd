"""Benchmark: ClusterView's kernel-side cost for one pod change on a big cluster.

100 nodes and 1,000 pods. For each of 200 single-pod changes we time the path from the
subscribe callback to the message handed to the comm (queue, coalesce, diff, JSON), and
compare the message's size with the full state's. Target: <= 50 ms per change, and a
patch far smaller than the full state. Also times a burst of 10,000 changes (what the
simulator produces inside one cluster.sleep) flushed as one message.

The recording (replay): a 10-minute lab section on the simulator at 100 nodes and 1,000
pods (a rolling update, a node lost for 330 s, a broken release, a roll back), recorded
by a live ClusterView. Targets: the recording under 1 MB, at most ~10 messages a second
to the browser during the burst, and a recording cost per change within budget that does
not grow with the cluster (O(1): printed beside the same cost at 100 pods).

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

import helpers  # noqa: E402
from helpers.views.clusterview import ClusterView  # noqa: E402
from helpers.views.staticreplay import EMBED_MAX_CHARS, replay_html  # noqa: E402
from helpers.views.timecodec import json_size  # noqa: E402
from helpers.views.timeline import MAX_BYTES  # noqa: E402
from helpers.views.viewmodel import ViewModel  # noqa: E402
from tests.views.fakecluster import FakeCluster  # noqa: E402
from tests.views.rollout import rolling_update  # noqa: E402

NODES, PODS, CHANGES, BURST = 100, 1000, 200, 10_000
BUDGET_MS = 50.0
MANIFESTS = ROOT / "cluster" / "manifests"
SECTION_S = 600.0  # a 10-minute lab section
RECORDING_LIMIT = 1_000_000
MESSAGES_PER_S = 11.0  # one message per 100 ms coalescing window, and a last one
# Recording cost per change, compactions included: 100 us keeps a 10-minute section at
# scale (65,000 changes) under 7 s of the flush thread's time, spread over the section.
RECORD_BUDGET_US = 100.0


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


def section(cluster) -> None:
    """Ten minutes of a lab at scale: roll to v2, lose a node past the 300 s eviction
    timeout, ship the broken v3 past its 120 s progress deadline, roll back to v2."""
    start = cluster.now()
    worker = next(n["name"] for n in cluster.nodes().to_dict("records") if n["role"] == "worker")
    cluster.set_image("model", "orchestra/model:v2")
    cluster.wait_rollout("model", timeout=900)
    cluster.stop_node(worker)
    cluster.sleep(330)
    cluster.start_node(worker)
    cluster.set_image("model", "orchestra/model:v3")
    cluster.sleep(130)
    cluster.set_image("model", "orchestra/model:v2")
    cluster.wait_rollout("model", timeout=900)
    cluster.sleep(max(0.0, start + SECTION_S - cluster.now()))


def big_sim(**options):
    """1,000 pods on 100 nodes, rolled out (``options``: e.g. realtime=True, speed=20)."""
    cluster = helpers.connect(
        "sim", seed=0, workers=NODES, node_cpu=8.0, node_memory="32Gi", **options
    )
    cluster.apply(str(MANIFESTS / "model-deployment.yaml"))
    cluster.apply(str(MANIFESTS / "model-service.yaml"))
    # 25 % surge and unavailability: a 1,000-pod rollout in seconds, not hours (maxSurge 1).
    strategy = {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    cluster.patch("Deployment", "model", {"spec": {"replicas": PODS, "strategy": strategy}})
    cluster.wait_rollout("model", timeout=900)
    return cluster


def recording_figures() -> bool:
    """The recording of a 10-minute section at scale: size, messages, cost per change."""
    cluster = big_sim()
    snapshot = cluster.snapshot()
    changes: list[dict] = []
    unsubscribe = cluster.subscribe(changes.append)
    view = ClusterView(cluster)  # live: the background thread coalesces every 100 ms
    view.comm = SizingComm()
    t0 = time.perf_counter()
    section(cluster)
    wall = time.perf_counter() - t0
    view.flush()
    messages = view.messages_sent
    view.stop()
    unsubscribe()
    timeline = view.timeline
    size = json_size(timeline.export())
    embedded = len(replay_html(timeline))
    costs, model = apply_costs(snapshot, changes)
    natural = json_size(model.timeline.export())
    per_change = costs[True] - costs[False]
    small = small_cost()
    print(f"recording, {SECTION_S / 60:.0f} min at {NODES} nodes / {PODS} pods on the simulator:")
    print(f"  {len(changes)} changes in {wall:.1f} s wall; {messages} messages to the browser")
    print(f"  ({messages / wall:.1f} per second, one per {view.interval * 1000:.0f} ms window)")
    print(f"  recording: {size / 1e3:.0f} kB kept (bound {MAX_BYTES / 1e3:.0f} kB; unbounded it")
    print(f"  would be {natural / 1e3:.0f} kB), {len(timeline)} operations, history from")
    print(
        f"  t = {timeline.start:.0f} s to {timeline.end:.0f} s, {timeline.compactions} compactions"
    )
    print(f"  in a saved notebook: {embedded / 1e3:.0f} kB (recording capped at")
    print(f"  {EMBED_MAX_CHARS / 1e3:.0f} kB packed, plus the replay script)")
    print(
        f"  cost per change: {costs[False]:.1f} us without recording, {costs[True]:.1f} us with:"
        f" {per_change:.1f} us to record"
    )
    print(f"  (at 10 nodes / 100 pods: {small:.1f} us to record: O(1) per change)")
    return (
        size < RECORDING_LIMIT and messages / wall <= MESSAGES_PER_S and per_change < 3 * small + 10
    )


def small_cost() -> float:
    """Recording cost per change on a small cluster, to compare with the big one."""
    cluster = FakeCluster(workers=9, replicas=100)
    changes: list[dict] = []
    cluster.subscribe(changes.append)
    snapshot = cluster.snapshot()
    rolling_update(cluster, lambda: None, batch=10)
    costs, _ = apply_costs(snapshot, changes)
    return costs[True] - costs[False]


def apply_costs(snapshot: dict, changes: list[dict]) -> tuple[dict, ViewModel]:
    """Microseconds per change through the view model without and with recording (batches
    of 200), and the recording model."""
    costs = {}
    for record in (False, True):
        model = ViewModel(snapshot, record=record, max_bytes=10**9)
        started = time.perf_counter()
        for i in range(0, len(changes), 200):
            model.apply(changes[i : i + 200])
        costs[record] = (time.perf_counter() - started) / len(changes) * 1e6
    return costs, model


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
    recorded = recording_figures()
    print("PASS" if ok else f"FAIL: budget {BUDGET_MS} ms per change, patch < 1/10 of full state")
    print(
        "PASS"
        if recorded
        else f"FAIL: recording < {RECORDING_LIMIT} B, <= {MESSAGES_PER_S} messages/s, "
        f"<= {RECORD_BUDGET_US} us to record a change"
    )
    return 0 if ok and recorded else 1


if __name__ == "__main__":
    sys.exit(main())
