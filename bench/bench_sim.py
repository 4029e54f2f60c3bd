"""Benchmarks of the simulated cluster: a 1,000-node scale test and a lab-like scenario.

Targets (issue 16, "Keep it fast"): 1,000 nodes and 30,000 pods, created and then rolled to
a new image, waiting with ``wait_rollout`` on each Deployment as a person would, in <= 6 s
wall on a 2-core machine with peak memory <= 1 GiB, in both shapes: 30 Deployments x 1,000
pods and 1,000 Deployments x 30 pods; a whole lab-like scenario in seconds.
Run: ``.venv/bin/python bench/bench_sim.py`` (``make bench``); ``--record`` also writes
the figures to bench/results/bench_sim.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.sim import SimCluster  # noqa: E402

MANIFESTS = ROOT / "cluster" / "manifests"


def deployment(name: str, replicas: int, image: str = "orchestra/model:v1") -> dict:
    """A Deployment like the course's: requests, readiness probe, maxSurge 25 %."""
    container = {
        "name": "model",
        "image": image,
        "ports": [{"name": "http", "containerPort": 8080}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 2},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }


def scale_test(nodes: int, deployments: int, replicas: int) -> dict:
    """Create the Deployments and wait on each, roll each to v2 and wait on each; time and memory."""
    t0, c0 = time.perf_counter(), time.process_time()
    # 4 cores / 8 GiB per node: 30 pods of 50m / 64Mi fit with room for surge and terminating pods.
    sim = SimCluster(seed=0, workers=nodes - 1, node_cpu=4, node_memory="8Gi")
    names = [f"app-{i:04d}" for i in range(deployments)]
    t1 = time.perf_counter()
    sim.apply([deployment(name, replicas) for name in names])
    for name in names:
        sim.wait_rollout(name, timeout=3600)
    t2 = time.perf_counter()
    created_at = sim.now()
    for name in names:
        sim.set_image(name, "orchestra/model:v2")
    for name in names:
        sim.wait_rollout(name, timeout=3600)
    t3, c3 = time.perf_counter(), time.process_time()
    pods = len(sim.store.objects["Pod"])
    return {
        "nodes": nodes,
        "pods": pods,
        "setup_s": round(t1 - t0, 2),
        "create_s": round(t2 - t1, 2),
        "rollout_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        "cpu_s": round(c3 - c0, 2),
        "virtual_s": round(sim.now(), 1),
        "virtual_create_s": round(created_at, 1),
        "events": len(sim.event_log),
    }


def lab_scenario() -> dict:
    """Deploy, scale, kill pods, lose a node, roll forward under traffic; wall seconds."""
    t0 = time.perf_counter()
    sim = SimCluster(seed=0, workers=3)
    sim.apply(MANIFESTS / "model-deployment.yaml")
    sim.apply(MANIFESTS / "model-service.yaml")
    sim.wait_rollout("model")
    with sim.traffic("model", rps=50) as run:
        sim.scale("model", 6)
        sim.wait_rollout("model")
        for pod in list(sim.pods()["name"])[:2]:
            sim.delete_pod(pod)
        sim.wait_rollout("model")
        sim.stop_node("orchestra-worker")
        sim.sleep(420)  # grace period + 300 s toleration: the pods come back elsewhere
        sim.wait_rollout("model")
        sim.set_image("model", "orchestra/model:v2")
        sim.wait_rollout("model")
        sim.start_node("orchestra-worker")
        sim.sleep(60)
    summary = run.summary()
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        "virtual_s": round(sim.now(), 1),
        "requests": summary["requests"],
        "failed": summary["failed"],
    }


def peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_in_subprocess(nodes: int, deployments: int, replicas: int) -> dict:
    """One scale test in a fresh interpreter, so its peak memory is its own."""
    cmd = [sys.executable, __file__, "--one", str(nodes), str(deployments), str(replicas)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# The shapes of issue 16: few large Deployments, many small ones; 30,000 pods each.
SHAPES = ((30, 1000), (1000, 30))
WALL_TARGET_S, RSS_TARGET_MIB = 6.0, 1024
RESULTS = ROOT / "bench" / "results" / "bench_sim.json"


def record(lab: dict, runs: list[dict]) -> None:
    """Write the figures with what they were measured on (load varies: compare CPU too)."""
    RESULTS.parent.mkdir(exist_ok=True)
    figures = {
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "lab_scenario": lab,
        "scale": runs,
    }
    RESULTS.write_text(json.dumps(figures, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", nargs=3, type=int, metavar=("NODES", "DEPLOYMENTS", "REPLICAS"),
                        help="run one scale test here and print it as JSON")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="print a cProfile of 1000 x 30")
    parser.add_argument(
        "--record", action="store_true", help=f"write the figures to {RESULTS.name}"
    )
    args = parser.parse_args()
    if args.one:
        res = scale_test(*args.one)
        res["peak_rss_mib"] = round(peak_rss_mib())
        print(json.dumps(res))
        return 0
    if args.profile:
        import cProfile

        cProfile.runctx("scale_test(1000, 1000, 30)", globals(), locals(), sort="tottime")
        return 0
    lab = lab_scenario()
    print(f"{'lab scenario':<13} wall {lab['wall_s']:.2f} s for {lab['virtual_s']:.0f} s of cluster time, "
          f"{lab['requests']} requests ({lab['failed']} failed while the node was lost)")  # fmt: skip
    met, runs = True, []
    print(f"{'scale test':<13} {'shape':>10} {'pods':>6} {'create':>7} {'rollout':>8} "
          f"{'wall':>6} {'CPU':>6} {'peak RSS':>9}")  # fmt: skip
    for deployments, replicas in SHAPES:
        r = scale_in_subprocess(1000, deployments, replicas)
        runs.append({"shape": f"{deployments}x{replicas}", **r})
        print(f"{'':<13} {f'{deployments}x{replicas}':>10} {deployments * replicas:>6} "
              f"{r['create_s']:>6.2f}s {r['rollout_s']:>7.2f}s {r['total_s']:>5.2f}s "
              f"{r['cpu_s']:>5.2f}s {r['peak_rss_mib']:>6} MiB")  # fmt: skip
        met = met and r["total_s"] <= WALL_TARGET_S and r["peak_rss_mib"] <= RSS_TARGET_MIB
    print(f"1,000 nodes, wait_rollout per Deployment; load average {os.getloadavg()[0]:.1f}; "
          f"targets (<= {WALL_TARGET_S:g} s wall, <= 1 GiB):",
          "met" if met else "NOT met (compare CPU time: other processes share this machine)")  # fmt: skip
    if args.record:
        record(lab, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
