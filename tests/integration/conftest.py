"""Integration fixtures: one KubeCluster on the kind cluster "orchestra" per session, and
a fresh namespace per test (deleted afterwards).

Skipped with the reason when no kind cluster answers; failed instead when the run says a
cluster must be there (LAB_BACKEND=kind, as the kind workflow sets, or LAB_REQUIRE_KIND=1).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from helpers.connect import KIND_CONTEXT
from helpers.errors import NotFound
from tests import tiers

MANIFESTS = Path(__file__).resolve().parents[2] / "cluster" / "manifests"
NODE_PORT = 30080  # the one NodePort kind maps to 127.0.0.1


@pytest.fixture(scope="session")
def kube():
    """The course cluster, or a skip saying why it is not reachable."""
    from helpers.kube import KubeCluster
    from helpers.kube.config import probe

    ok, why = probe(KIND_CONTEXT, timeout=5.0)
    if not ok:
        message = f"no kind cluster {KIND_CONTEXT!r}: {why}; create it with `make cluster`"
        tiers.unavailable("kind", message)
    cluster = KubeCluster(KIND_CONTEXT)
    yield cluster
    cluster.close()


@pytest.fixture
def namespace(kube, request):
    """A namespace of its own for one test; deleted (and waited for) afterwards."""
    name = f"it-{request.node.name[:30].lower().replace('_', '-')}-{uuid.uuid4().hex[:5]}"
    name = name.strip("-")
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    kube.delete("Namespace", name, None)

    def gone(c) -> bool:
        try:
            c.get("Namespace", name, None)
        except NotFound:
            return True
        return False

    # A deleted namespace frees its NodePort only once its Service is gone.
    kube.wait(gone, timeout=180, what=f"namespace {name} to be deleted")


@pytest.fixture
def node_port_free(kube, namespace):
    """Skip when another namespace's Service holds NodePort 30080 (e.g. a student's model)."""
    for svc in kube.list_objects("Service", None):
        ports = (svc.get("spec") or {}).get("ports") or []
        meta = svc["metadata"]
        if meta["namespace"] != namespace and any(p.get("nodePort") == NODE_PORT for p in ports):
            pytest.skip(
                f"NodePort {NODE_PORT} is taken by service/{meta['name']} in namespace "
                f"{meta['namespace']!r}; delete it to run this test"
            )


def ready_pods(cluster, namespace: str) -> list[dict]:
    return [
        p
        for p in cluster.snapshot()["pods"]
        if p["namespace"] == namespace and p["ready"] and p["status"] == "Running"
    ]
