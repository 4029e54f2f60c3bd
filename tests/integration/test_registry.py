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

The images pushed here are the model plus a label naming the run, so their image IDs differ
from the kind-loaded ``orchestra/model:vN``. With the same ID, a node that pulled it from the
registry would no longer count the kind-loaded copy as preloaded: kubelet 1.35+ (feature
KubeletEnsureSecretPulledImages, beta and on by default; policy NeverVerifyPreloadedImages)
keeps a pulled record per image ID naming the image names it was pulled as, and an image ID
with a record but another name must be pulled again
(https://kubernetes.io/docs/concepts/containers/images/#ensureimagepullcredentialverification),
so later pods of ``orchestra/model:v1`` went to ErrImagePull trying Docker Hub.
"""

from __future__ import annotations

import io
import json
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
# image has to be removed from a node first.
RUN = f"run-{uuid.uuid4().hex[:8]}"
ADDRESS = f"{registry.ADDRESS}/{RUN}"
VERSIONS = ("v1", "v2")


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
    """The model images v1 and v2 (built by the tier's images step) plus a label naming this
    run, pushed under this run's path (no node has them under that name, so each must pull).

    Built locally as ``run-<id>/orchestra/model:vN``, so pushing them to ``localhost:5001``
    names them ``localhost:5001/run-<id>/orchestra/model:vN``: what the kube backend with
    ``registry=ADDRESS`` makes of ``orchestra/model:vN``.
    """
    import docker

    client = docker.from_env()
    local = []
    for version in VERSIONS:
        dockerfile = f"FROM orchestra/model:{version}\nLABEL org.orchestra.registry-test={RUN}\n"
        tag = f"{RUN}/orchestra/model:{version}"
        client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, pull=False, rm=True)
        local.append(tag)
    try:
        yield push(local, registry=registry.ADDRESS)
    finally:
        for tag in local:
            for name in (tag, f"{registry.ADDRESS}/{tag}"):
                client.images.remove(name, noprune=False)


def tags_in_registry(repository: str) -> list[str]:
    path = ADDRESS.split("/", 1)[1]
    url = f"http://127.0.0.1:{registry.HOST_PORT}/v2/{path}/{repository}/tags/list"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["tags"]


def test_push_names_the_registry_and_the_registry_serves_the_tags(pushed):
    assert pushed == [f"{ADDRESS}/orchestra/model:{v}" for v in VERSIONS]
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


def test_the_kind_loaded_images_still_start_on_every_worker_after_the_pulls(
    pushed, kube, namespace
):
    """After the registry's pulls, orchestra/model:v1 as `kind load` put it on the nodes still
    starts without a pull on every worker (the pushed images have IDs of their own; with the
    same ID the kubelet would try Docker Hub, see the module's docstring)."""
    import helpers.lab

    kube.apply(helpers.lab.one_per_node("kind-loaded", replicas=2), namespace=namespace)
    kube.wait_rollout("kind-loaded", namespace=namespace, timeout=240)
    nodes = {p["spec"]["nodeName"] for p in kube.list_objects("Pod", namespace)}
    assert len(nodes) == 2, nodes
    reasons = {e["reason"] for e in kube.list_objects("Event", namespace)}
    assert "Pulling" not in reasons and "Failed" not in reasons, reasons
    present = [
        e["message"] for e in kube.list_objects("Event", namespace) if e["reason"] == "Pulled"
    ]
    assert len(present) == 2 and all("already present on machine" in m for m in present), present
