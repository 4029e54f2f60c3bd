"""The simulated cluster's machines and images: kind's node names, labels, taints and sizes.

Sizes: 2 CPU and 4 GiB allocatable per node by default, a small laptop's share for each
kind node container; the 1,000-node benchmark passes its own. Only the course images
exist: anything else fails to pull, as an image missing from kind's nodes and the registry.
"""

from __future__ import annotations

from helpers.sim.clock import iso
from helpers.sim.nodes import CONTROL_PLANE, UNSCHEDULABLE, Node
from helpers.sim.quantity import parse

IMAGES = ("orchestra/model:v1", "orchestra/model:v2", "orchestra/model:v3")
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def image_key(image: str) -> str:
    """An image reference without the default registry prefix (docker.io/library/...)."""
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/"):
        if image.startswith(prefix):
            image = image[len(prefix) :]
            break
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last or "@" in last else f"{image}:latest"


def node_names(workers: int) -> list[tuple[str, str]]:
    """[(name, role)] as kind names them: orchestra-worker, orchestra-worker2, ..."""
    out = [("orchestra-control-plane", "control-plane")]
    out += [(f"orchestra-worker{i if i > 1 else ''}", "worker") for i in range(1, workers + 1)]
    return out


def build_nodes(api, scheduler, workers: int, cpu: float, memory) -> None:
    """Create the namespaces and nodes of a fresh cluster (through ``api``; nodes filed with
    ``scheduler``)."""
    for ns in SYSTEM_NAMESPACES:
        obj = api.create_object(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
            }
        )
        obj.status = {"phase": "Active"}
    mem = parse(memory, "node_memory")
    cpu = float(parse(cpu, "node_cpu"))
    for index, (name, role) in enumerate(node_names(workers)):
        labels = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
        }
        spec = {"podCIDR": f"10.244.{index}.0/24", "providerID": f"kind://docker/orchestra/{name}"}
        if role == "control-plane":
            labels[CONTROL_PLANE] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            spec["taints"] = [{"key": CONTROL_PLANE, "effect": "NoSchedule"}]
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": labels,
                "uid": api.store.new_uid(),
                "creationTimestamp": iso(0),
            },
            "spec": spec,
        }
        node = Node(body, index, role, cpu, mem)
        api.store.add(node)
        scheduler.place_node(node)


def set_cordon(node: Node, on: bool, now: float) -> None:
    """kubectl cordon/uncordon: spec.unschedulable plus the unschedulable NoSchedule taint."""
    taints = [t for t in node.taints if t["key"] != UNSCHEDULABLE]
    if on:
        node.spec["unschedulable"] = True
        taints.append({"key": UNSCHEDULABLE, "effect": "NoSchedule", "timeAdded": iso(now)})
    else:
        node.spec.pop("unschedulable", None)
    node.spec["taints"] = taints
