"""Address allocation: Service cluster IPs and node ports, pod IPs per node's pod CIDR.

As on kind: Services get 10.96.0.0/12 addresses (10.96.0.1 is the kubernetes Service and
10.96.0.10 kube-dns), and a node's pods get addresses from its 10.244.<node>.0/24 pod CIDR.

Node ports are the API server's: one pool for the whole cluster (all namespaces, every
protocol) in 30000-32767. A port asked for by number that another Service holds is
refused ("provided port is already allocated"); a port left out is drawn at random, from
above the range's static band first so that it rarely takes a number someone will ask for;
an update keeps the port of the same-named Service port; deleting the Service frees them.
(kubernetes.io/docs/concepts/services-networking/service/#type-nodeport, #avoid-nodeport-collisions;
kubernetes pkg/registry/core/service/portallocator)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from helpers.errors import ManifestError

# 30000-32767: the default --service-node-port-range.
NODE_PORTS = range(30000, 32768)
# 86 ports: the static band at the bottom of the range, min(max(16, size / 32), 128) ports
# (calculateRangeOffset in the port allocator). Automatic allocation uses it only when the
# ports above it are all taken.
STATIC_BAND = min(max(16, len(NODE_PORTS) // 32), 128)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


class Addresses:
    """The API server's IP and port allocators (cluster IPs, node ports) and the nodes' IPAM."""

    def __init__(self, rng):
        self._rng = rng
        self._cluster_ips = 10  # last Service IP handed out (10.96.0.10 is kube-dns on kind)
        self._pod_next: dict[str, int] = {}

    def service(self, spec: dict, existing, store) -> None:
        """Fill ``spec``'s cluster IP and node ports, keeping those ``existing`` had.

        Raises:
            ManifestError: a node port another Service holds, or one on a ClusterIP Service.
        """
        old = existing.spec if existing is not None else {}
        spec.setdefault("clusterIP", old.get("clusterIP") or self._next_cluster_ip())
        spec["clusterIPs"] = [spec["clusterIP"]]
        old_ports = {p.get("name", ""): p.get("nodePort") for p in old.get("ports") or []}
        if spec["type"] not in NODE_PORT_TYPES:
            self._no_node_ports(spec, old.get("type"), old_ports)
            return
        used = {
            p["nodePort"]
            for svc in store.of_kind("Service")
            if svc is not existing
            for p in svc.spec.get("ports") or []
            if p.get("nodePort")
        }
        for i, port in enumerate(spec["ports"]):
            if port.get("nodePort") in used:
                raise ManifestError(
                    f"spec.ports[{i}].nodePort: Invalid value: {port['nodePort']}: provided "
                    "port is already allocated",
                    "Another Service holds it: pick another nodePort, or leave nodePort out "
                    "and one is allocated.",
                )
        mine = {p.get("nodePort") for p in spec["ports"] if p.get("nodePort")}
        for port in spec["ports"]:
            if port.get("nodePort"):
                continue
            # An update keeps the node port of the same-named port, unless taken meanwhile.
            kept = old_ports.get(port.get("name", ""))
            if kept and kept not in mine and old.get("type") in NODE_PORT_TYPES:
                port["nodePort"] = kept
            else:
                port["nodePort"] = self._allocate(used | mine)
            mine.add(port["nodePort"])

    @contextlib.contextmanager
    def provisional(self) -> Iterator[None]:
        """Allocations made inside are handed back on leaving: a dry run keeps no cluster
        IP or node port, and the random stream a later allocation draws from is unmoved."""
        rng = self._rng("nodeports")
        state, cluster_ips = rng.getstate(), self._cluster_ips
        try:
            yield
        finally:
            rng.setstate(state)
            self._cluster_ips = cluster_ips

    @staticmethod
    def _no_node_ports(spec: dict, old_type, old_ports: dict) -> None:
        for i, port in enumerate(spec["ports"]):
            node_port = port.get("nodePort")
            if not node_port:
                continue
            if old_type in NODE_PORT_TYPES and old_ports.get(port.get("name", "")) == node_port:
                del port["nodePort"]  # a type change drops the allocated port (and frees it)
                continue
            raise ManifestError(
                f"spec.ports[{i}].nodePort: Forbidden: may not be used when `type` is "
                f"'{spec['type']}'",
                "Remove nodePort, or make the Service type: NodePort.",
            )

    def _allocate(self, taken: set) -> int:
        rng = self._rng("nodeports")
        static_end = NODE_PORTS.start + STATIC_BAND
        for band in (range(static_end, NODE_PORTS.stop), range(NODE_PORTS.start, static_end)):
            if sum(port in band for port in taken) >= len(band):
                continue
            while True:
                port = rng.randrange(band.start, band.stop)
                if port not in taken:
                    return port
        raise ManifestError(
            "spec.ports: Internal error: range is full (every node port is allocated).",
            "Delete Services of type NodePort you no longer need.",
        )

    def _next_cluster_ip(self) -> str:
        self._cluster_ips += 1
        n = self._cluster_ips
        return f"10.96.{n // 256}.{n % 256}"

    def pod_ip(self, node) -> str:
        """The next address of ``node``'s pod CIDR (.2 to .254, then round again)."""
        n = self._pod_next.get(node.name, 2)
        self._pod_next[node.name] = 2 + (n - 1) % 253
        return f"10.244.{node.index}.{n}"
