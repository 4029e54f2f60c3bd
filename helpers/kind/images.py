"""The model images: build them, load them into the kind nodes, or push them to a registry.

`build` drives the Docker engine through the docker SDK's low-level API and streams the
build log to a ``progress(line, fraction)`` callback. `load_into_kind` copies the images
into every kind node (no registry involved, so manifests use ``imagePullPolicy:
IfNotPresent``) and works around kind's multi-arch load failure. `push` is for any other
cluster: it retags for the registry named in ``LAB_REGISTRY`` and pushes.

Tags are always pinned (``orchestra/model:v1``), never ``latest``.

Example:
    >>> from helpers.kind import images
    >>> images.build(progress=lambda line, fraction: None)
    ['orchestra/model:v1', 'orchestra/model:v2', 'orchestra/model:v3']
    >>> images.load_into_kind(["orchestra/model:v1"])
    'docker-image'
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from helpers.errors import DockerUnavailable, LabError
from helpers.kind.cli import CLUSTER, MULTIARCH_FAILURE, CommandFailed, KindCli
from helpers.kind.tools import ARCH_NAMES, BIN_DIR, REPO, ensure_tool

MODEL_DIR = REPO / "cluster" / "model"
REPOSITORY = "orchestra/model"
VERSIONS = ("v1", "v2", "v3")
DEFAULT_IMAGES = tuple(f"{REPOSITORY}:{v}" for v in VERSIONS)
STEP = re.compile(r"^Step (\d+)/(\d+)")

Progress = Callable[[str, float], None]


def _quiet(line: str, fraction: float) -> None:
    """Default progress: nothing (library code does not print)."""


def _client(client=None):
    if client is not None:
        return client
    import docker

    try:
        found = docker.from_env()
        found.ping()
    except Exception as err:  # the SDK raises several types; all mean "no engine here"
        raise DockerUnavailable(
            f"The Docker daemon is not reachable ({type(err).__name__})."
        ) from err
    return found


def build(
    versions: Iterable[str] = VERSIONS,
    base_image: str | None = None,
    progress: Progress | None = None,
    *,
    context: Path = MODEL_DIR,
    repository: str = REPOSITORY,
    network_mode: str | None = None,
    client=None,
) -> list[str]:
    """Build ``<repository>:<version>`` for each version from cluster/model/Dockerfile.

    Args:
        versions: model versions; each becomes the build arg ``MODEL_VERSION`` and the tag.
        base_image: passed as the build arg ``BASE_IMAGE`` (offline: a local base image).
        progress: called with each build log line and the overall fraction done.
        network_mode: e.g. ``"host"`` on an engine without bridge networking.

    Example:
        >>> build(["v1"], base_image="orchestra/base:bookworm-python", network_mode="host")
        ['orchestra/model:v1']
    """
    versions = list(versions)
    report = progress or _quiet
    # Offline classrooms and CI set these once for every build (README, "Offline image builds").
    base_image = base_image or os.environ.get("LAB_BASE_IMAGE") or None
    network_mode = network_mode or os.environ.get("LAB_BUILD_NETWORK") or None
    for version in versions:
        if not version or version == "latest":
            raise LabError(
                f"Refusing to build the tag {version!r}.", "Use a pinned version: v1, v2 or v3."
            )
    api = _client(client).api
    tags = []
    for index, version in enumerate(versions):
        tag = f"{repository}:{version}"
        buildargs = {"MODEL_VERSION": version}
        if base_image:
            buildargs["BASE_IMAGE"] = base_image
        done = index / len(versions)
        log: list[str] = []
        report(f"{tag}: building from {context}", done)
        chunks = api.build(
            path=str(context),
            tag=tag,
            buildargs=buildargs,
            rm=True,
            forcerm=True,
            decode=True,
            network_mode=network_mode,
            labels={"org.orchestra.model-version": version},
        )
        for chunk in chunks:
            if "error" in chunk:
                tail = "\n".join(log[-5:])
                raise LabError(
                    f"Building {tag} failed: {chunk['error'].strip()}\n{tail}",
                    "Read the build log above; offline, pass base_image= a local image "
                    "(make images: LAB_BASE_IMAGE=...).",
                )
            for line in chunk.get("stream", "").splitlines():
                if not line.strip():
                    continue
                log.append(line)
                step = STEP.match(line)
                if step:
                    share = int(step.group(1)) / int(step.group(2))
                    done = (index + share) / len(versions)
                report(f"{tag}: {line}", done)
        tags.append(tag)
    report("images built", 1.0)
    return tags


def _docker_save(docker: str, images: list[str], archive: str) -> None:
    """`docker save` of this machine's platform only (the part kind can import)."""
    arch = ARCH_NAMES.get(platform.machine().lower(), platform.machine().lower())
    attempts = [[docker, "save", "--platform", f"linux/{arch}", "-o", archive, *images]]
    attempts.append([docker, "save", "-o", archive, *images])  # engines before --platform
    for args in attempts:
        done = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode == 0:
            return
        if "platform" not in done.stderr:
            break
    raise LabError(f"`docker save` failed: {done.stderr.strip()[-300:]}", "Check `docker images`.")


def load_into_kind(
    images: Iterable[str] = DEFAULT_IMAGES,
    cluster: str = CLUSTER,
    progress: Progress | None = None,
    *,
    bin_dir: Path = BIN_DIR,
) -> str:
    """Load images into every node of a kind cluster; returns the route that worked.

    `kind load docker-image` first. When it fails with kind's known multi-arch error
    (``ctr: content digest sha256:...: not found``, kubernetes-sigs/kind#3795: Docker's
    containerd image store exports an index whose other platforms are absent), the images
    are saved for this platform only with `docker save` and loaded with
    `kind load image-archive`, kind's documented workaround.

    Example:
        >>> load_into_kind(["orchestra/model:v1", "orchestra/model:v2"])
        'docker-image'
    """
    images = list(images)
    report = progress or _quiet
    cli = KindCli(kind=ensure_tool("kind", bin_dir), kubectl="kubectl", cluster=cluster)
    report(f"loading {', '.join(images)} into the nodes of {cluster!r}", 0.1)
    try:
        cli.load_docker_image(images)
        report("images loaded", 1.0)
        return "docker-image"
    except CommandFailed as err:
        if not all(marker in err.output for marker in MULTIARCH_FAILURE):
            raise
    report("kind hit its multi-arch load bug; retrying through an image archive", 0.4)
    docker = shutil.which("docker")
    if not docker:
        raise DockerUnavailable("The docker command is not installed.")
    with tempfile.TemporaryDirectory(prefix="orchestra-images-") as tmp:
        archive = str(Path(tmp) / "images.tar")
        _docker_save(docker, images, archive)
        report("loading the archive into the nodes", 0.7)
        cli.load_image_archive(archive)
    report("images loaded (archive route)", 1.0)
    return "image-archive"


def push(
    images: Iterable[str] = DEFAULT_IMAGES,
    registry: str | None = None,
    progress: Progress | None = None,
    *,
    client=None,
) -> list[str]:
    """Tag images for a registry and push them (a cluster other than kind pulls from there).

    Args:
        registry: e.g. ``"ghcr.io/you"``; default: the ``LAB_REGISTRY`` environment variable.

    Example:
        >>> push(registry="ghcr.io/you")
        ['ghcr.io/you/orchestra/model:v1', ...]
    """
    registry = (registry or os.environ.get("LAB_REGISTRY", "")).rstrip("/")
    if not registry:
        raise LabError(
            "No registry to push to: LAB_REGISTRY is not set.",
            "Set it to a registry your cluster can pull from, e.g. `export "
            "LAB_REGISTRY=ghcr.io/<you>`, run `docker login` for it, then push again.",
        )
    images = list(images)
    report = progress or _quiet
    docker_client = _client(client)
    pushed = []
    for image in images:
        repo, tag = image.rsplit(":", 1)
        target = f"{registry}/{repo}"
        docker_client.images.get(image).tag(target, tag)
        report(f"pushing {target}:{tag}", len(pushed) / len(images))
        for chunk in docker_client.api.push(target, tag=tag, stream=True, decode=True):
            if "error" in chunk:
                raise LabError(
                    f"Pushing {target}:{tag} failed: {chunk['error']}",
                    f"Check `docker login {registry.split('/')[0]}` and that LAB_REGISTRY is right.",
                )
        pushed.append(f"{target}:{tag}")
    report("images pushed", 1.0)
    return pushed
