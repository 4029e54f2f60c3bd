"""The backends the contract suite runs on, each behind the same small adapter.

``cluster`` is the shared Cluster API under test. ``deploy_model`` brings deployment/model
(3 Ready replicas of v1) and service/model, the state most labs start from: on the
simulator and on kind the controllers make it; on the kube backend's HTTP fake (an API
server without controllers) the adapter writes what the controllers would write.
``controllers`` says whether the backend runs controllers at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.api import Cluster
from tests import manifests

MANIFESTS = Path(__file__).resolve().parents[2] / "cluster" / "manifests"
PODS = ("model-6d4b9c7f5-aaaaa", "model-6d4b9c7f5-bbbbb", "model-6d4b9c7f5-ccccc")
# Seconds a wait may take on each backend: virtual on the simulator, real elsewhere.
SETTLE_S = 120.0


@dataclass
class Backend:
    name: str
    cluster: Cluster
    controllers: bool
    _fake: object = field(default=None, repr=False)

    def deploy_model(self) -> None:
        """deployment/model at 3 Ready v1 replicas and service/model, seen by the cluster."""
        if self._fake is None:
            self.cluster.apply(MANIFESTS / "model-deployment.yaml")
            self.cluster.apply(MANIFESTS / "model-service.yaml")
            self.cluster.wait_rollout("model", timeout=SETTLE_S)
            return
        fake = self._fake
        dep = manifests.deployment("model", namespace="default")
        dep["metadata"]["generation"] = 1
        dep["status"] = {
            "observedGeneration": 1,
            "replicas": 3,
            "readyReplicas": 3,
            "updatedReplicas": 3,
            "availableReplicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }
        fake.put(dep)
        for i, name in enumerate(PODS):
            fake.put(manifests.pod(name, node_name=f"orchestra-worker{'2' if i else ''}"))
        fake.put(manifests.service("model", node_port=30080))
        fake.put(manifests.endpointslice("model", list(PODS)))

        def seen(c) -> bool:
            snap = c.snapshot()
            services = [s for s in snap["services"] if s["name"] == "model"]
            deployments = [d for d in snap["deployments"] if d["name"] == "model"]
            return (
                len(snap["pods"]) == 3
                and bool(deployments)
                and bool(services)
                and len(services[0]["endpoints"]) == 3
            )

        # Each kind has its own watch: wait until all four have delivered.
        self.cluster.wait(seen, timeout=30, what="the deployment, pods and endpoints in the watch")
