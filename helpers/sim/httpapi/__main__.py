"""Run a realtime simulated cluster with the course manifests, served to kubectl until Ctrl-C.

Usage:
    python -m helpers.sim.httpapi --kubeconfig sim.kubeconfig [--speed 10] [--port 0]
    kubectl --kubeconfig sim.kubeconfig get pods

Realtime, because nothing else moves a standalone cluster's clock: ``--speed`` runs it
faster than the wall clock. The kubeconfig holds the token (mode 0600); nothing printed
here does.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from helpers.sim import SimCluster

MANIFESTS = Path(__file__).resolve().parents[3] / "cluster" / "manifests"


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start the cluster and its API server, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m helpers.sim.httpapi", description=__doc__)
    parser.add_argument("--kubeconfig", required=True, help="where to write the kubeconfig")
    parser.add_argument("--speed", type=float, default=1.0, help="cluster seconds per second")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: free)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-manifests", action="store_true", help="start with no workload")
    args = parser.parse_args(argv)
    cluster = SimCluster(seed=args.seed, realtime=True, speed=args.speed)
    if not args.no_manifests:
        cluster.apply(MANIFESTS)
    handle = cluster.serve_api(kubeconfig=args.kubeconfig, port=args.port)
    print(f"Simulated cluster served at {handle.url} (realtime x{args.speed:g}).")
    print(f"  kubectl --kubeconfig {handle.kubeconfig} get pods")
    print("Ctrl-C stops it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()
        cluster.close()


if __name__ == "__main__":
    main()
