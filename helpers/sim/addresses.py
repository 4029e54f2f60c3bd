"""Address allocation: Service cluster IPs and node ports, pod IPs per node's pod CIDR.

As on kind: Services get 10.96.0.0/12 addresses (10.96.0.1 is the kubernetes Service and
10.96.0.10 kube-dns), node ports come from 30000-32767 and stay across re-applies, and a
node's pods get addresses from its 10.244.<node>.0/24 pod CIDR.
(kubernetes.io/docs/concepts/services-networking/service/)
"""

from __future__ import annotations


class Addresses:
    """The API server's IP and port allocators (cluster IPs, node ports) and the nodes' IPAM."""

    def __init__(self, rng):
        self._rng = rng
        self._cluster_ips = 10  # last Service IP handed out (10.96.0.10 is kube-dns on kind)
        self._pod_next: dict[str, int] = {}

    def service(self, spec: dict, existing, store) -> None:
        """Fill ``spec``'s cluster IP and node ports, keeping those ``existing`` had."""
        old = existing.spec if existing is not None else {}
        spec.setdefault("clusterIP", old.get("clusterIP") or self._next_cluster_ip())
        spec["clusterIPs"] = [spec["clusterIP"]]
        if spec["type"] not in ("NodePort", "LoadBalancer"):
            return
        old_ports = {p.get("port"): p.get("nodePort") for p in old.get("ports") or []}
        used = {
            p.get("nodePort")
            for svc in store.of_kind("Service")
            for p in svc.spec.get("ports") or []
        }
        rng = self._rng("nodeports")
        for port in spec["ports"]:
            if port.get("nodePort") is None:
                port["nodePort"] = old_ports.get(port["port"])
            while port["nodePort"] is None or port["nodePort"] in used - set(old_ports.values()):
                port["nodePort"] = rng.randint(30000, 32767)

    def _next_cluster_ip(self) -> str:
        self._cluster_ips += 1
        n = self._cluster_ips
        return f"10.96.{n // 256}.{n % 256}"

    def pod_ip(self, node) -> str:
        """The next address of ``node``'s pod CIDR (.2 to .254, then round again)."""
        n = self._pod_next.get(node.name, 2)
        self._pod_next[node.name] = 2 + (n - 1) % 253
        return f"10.244.{node.index}.{n}"
