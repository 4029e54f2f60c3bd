"""The cloud path's registry flow on kind: push to a registry, the nodes pull from it.

A managed cluster cannot `kind load`; its nodes pull the course images from a registry.
helpers.kind.registry runs one beside kind as kind's guide wires it
(https://kind.sigs.k8s.io/docs/user/local-registry/: the registry on Docker's ``kind``
network, ``localhost:5001`` aliased in each node's ``/etc/containerd/certs.d``, the KEP-1755
ConfigMap ``kube-public/local-registry-hosting``). The images are pushed with
helpers.kind.images.push, and the kube backend applies the course manifest under the
registry's names (LAB_REGISTRY), so each node pulls, as the kubelet's "Pulling"/"Pulled"
events say (https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy).

The registry's image is ``LAB_LOCAL_REGISTRY_IMAGE`` (CI builds ``orchestra/registry`` from
the distribution Go module with `make registry-image`), else kind's ``registry:3``.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid

import pytest

from helpers.connect import KIND_CONTEXT
from helpers.kind import registry
from helpers.kind.cluster import BIN_DIR, _cli
from helpers.kind.images import push
from helpers.kube import KubeCluster
from tests import tiers
from tests.integration.conftest import MANIFESTS

# A path of its own per run: the nodes have never seen these names, so each must pull, and no
# image has to be removed from a node first (removing one with ctr, behind the CRI's back,
# left the CRI's image cache without the kind-loaded image of the same config digest, and
# later pods of orchestra/model:v1 went to ErrImagePull).
ADDRESS = f"{registry.ADDRESS}/run-{uuid.uuid4().hex[:8]}"

# Opt-in (LAB_TEST_REGISTRY=1), and not in `make test-kind`: on the kit's offline node image,
# after these pulls of the model under the registry's names (the same image config as the
# kind-loaded orchestra/model:vN), later pods of orchestra/model:v1 on the same cluster went to
# ErrImagePull (test_scenario.py and lab 05 failed after it, 2026-12-03). Until that is
# understood and fixed, run it alone on a cluster you then delete.
pytestmark = pytest.mark.skipif(
    os.environ.get("LAB_TEST_REGISTRY") != "1",
    reason="LAB_TEST_REGISTRY=1 runs it (it leaves the cluster unfit for the other kind tests)",
)


@pytest.fixture(scope="module")
def local_registry(kube):
    """The registry, started and wired into the nodes; removed (with the nodes' wiring) after."""
    import docker

    client = docker.from_env()
    try:
        client.images.get(registry.image())
    except docker.errors.ImageNotFound:
        tiers.unavailable(
            "kind",
            f"the registry image {registry.image()} is not here; build it with "
            "`make registry-image` and set LAB_LOCAL_REGISTRY_IMAGE",
        )
    assert registry.start(_cli(BIN_DIR, fetch=False)) == registry.ADDRESS
    yield ADDRESS
    assert registry.stop()
    for node in client.containers.list(filters={"label": "io.x-k8s.kind.cluster=orchestra"}):
        assert node.exec_run(["test", "-e", registry.CERTS_DIR]).exit_code != 0, node.name


@pytest.fixture(scope="module")
def pushed(local_registry):
    """The model images v1 and v2 (built by the tier's images step), pushed to the registry
    under this run's path (no node has them under that name, so each node must pull)."""
    return push(["orchestra/model:v1", "orchestra/model:v2"], registry=local_registry)


def tags_in_registry(repository: str) -> list[str]:
    path = ADDRESS.split("/", 1)[1]
    url = f"http://127.0.0.1:{registry.HOST_PORT}/v2/{path}/{repository}/tags/list"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["tags"]


def test_push_names_the_registry_and_the_registry_serves_the_tags(pushed):
    assert pushed == [f"{ADDRESS}/orchestra/model:v1", f"{ADDRESS}/orchestra/model:v2"]
    assert {"v1", "v2"} <= set(tags_in_registry("orchestra/model"))


def test_the_registry_is_documented_for_tools_in_kube_public(kube, local_registry):
    """KEP-1755: tools read where the local registry is from this ConfigMap."""
    config = kube.get("ConfigMap", "local-registry-hosting", "kube-public")
    assert f'host: "{registry.ADDRESS}"' in config["data"]["localRegistryHosting.v1"]


def test_the_nodes_pull_the_course_manifest_and_a_rollout_from_the_registry(pushed, namespace):
    cluster = KubeCluster(KIND_CONTEXT, registry=ADDRESS)
    try:
        cluster.apply(MANIFESTS / "model-deployment.yaml", namespace=namespace)
        template = cluster.get("Deployment", "model", namespace)["spec"]["template"]["spec"]
        assert template["containers"][0]["image"] == f"{ADDRESS}/orchestra/model:v1"
        cluster.wait_rollout("model", namespace=namespace, timeout=240)
        assert_pulled_from_registry(cluster, namespace, "v1")

        cluster.set_image("model", "orchestra/model:v2", namespace=namespace)
        cluster.wait_rollout("model", namespace=namespace, timeout=240)
        assert_pulled_from_registry(cluster, namespace, "v2")
    finally:
        cluster.close()


def assert_pulled_from_registry(cluster, namespace: str, version: str) -> None:
    image = f"{ADDRESS}/orchestra/model:{version}"
    pods = [
        p
        for p in cluster.list_objects("Pod", namespace)
        if p["spec"]["containers"][0]["image"] == image and "deletionTimestamp" not in p["metadata"]
    ]
    assert pods, f"no pod runs {image}"
    for pod in pods:
        (status,) = pod["status"]["containerStatuses"]
        assert status["ready"], status
    pulled = [
        e["message"]
        for e in cluster.list_objects("Event", namespace)
        if e["reason"] == "Pulled" and f'"{image}"' in e["message"]
    ]
    # IfNotPresent pulls once per node; at least one node had to fetch it.
    assert any(m.startswith("Successfully pulled image") for m in pulled), pulled


def test_a_tag_never_pushed_fails_to_pull_as_on_a_cloud_cluster(pushed, kube, namespace):
    """The mistake a class meets first on a cloud cluster: a tag the registry does not have."""
    image = f"{ADDRESS}/orchestra/model:v9"
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "missing-tag", "namespace": namespace},
            "spec": {
                "containers": [
                    {
                        "name": "model",
                        "image": image,
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            },
        },
        namespace=namespace,
    )

    def waiting_reason(cluster) -> str | None:
        pod = cluster.get("Pod", "missing-tag", namespace)
        for status in pod.get("status", {}).get("containerStatuses") or []:
            reason = (status.get("state", {}).get("waiting") or {}).get("reason")
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                return reason
        return None

    kube.wait(waiting_reason, timeout=120, what="the pod to fail pulling a tag never pushed")
    failed = [
        e["message"]
        for e in kube.list_objects("Event", namespace)
        if e["reason"] == "Failed" and image in e["message"]
    ]
    assert any("not found" in m for m in failed), failed
