"""Image builds through the docker SDK against a real Docker engine (marker ``docker``).

Skipped with the reason when no engine answers, unless LAB_REQUIRE_DOCKER=1 (CI after
.ci/docker-engine.sh), which turns the skip into a failure. The builds use a tiny build
context FROM the local base image that script makes, and a test-only repository name, so
they take seconds and never overwrite the real orchestra/model tags.
"""

from __future__ import annotations

import os
import uuid

import pytest

from helpers.errors import LabError
from helpers.kind import images
from tests import tiers

pytestmark = pytest.mark.docker

BASE_IMAGE = os.environ.get("ORCHESTRA_BASE_IMAGE", "orchestra/base:bookworm-python")
DOCKERFILE = """\
ARG BASE_IMAGE=scratch
FROM ${BASE_IMAGE}
ARG MODEL_VERSION=v0
RUN echo "model version ${MODEL_VERSION}" > /version.txt
LABEL org.orchestra.test="lifecycle"
"""


@pytest.fixture(scope="module")
def engine():
    """A docker SDK client with the base image present, or a skip that says why."""
    import docker

    try:
        client = docker.from_env(timeout=10)
        client.ping()
        client.images.get(BASE_IMAGE)
    except Exception as err:  # any failure means: no usable engine here
        reason = f"no Docker engine with {BASE_IMAGE} ({type(err).__name__}: {str(err)[:100]})"
        tiers.unavailable("docker", f"{reason}; run `bash .ci/docker-engine.sh`")
    yield client
    client.close()


@pytest.fixture
def repository(engine):
    """A unique throwaway repository; its images are removed after the test."""
    name = f"orchestra-lifecycle-test/{uuid.uuid4().hex[:8]}"
    yield name
    for image in engine.images.list(name=name):
        for tag in image.tags:
            engine.images.remove(tag, force=True)


def test_build_streams_progress_and_tags_each_version(engine, repository, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    lines: list[tuple[str, float]] = []
    tags = images.build(
        ["v1", "v2"],
        base_image=BASE_IMAGE,
        progress=lambda line, fraction: lines.append((line, fraction)),
        context=tmp_path,
        repository=repository,
        network_mode="host",  # the CI engine runs without bridge networking
        client=engine,
    )
    assert tags == [f"{repository}:v1", f"{repository}:v2"]
    # The engine's own build log came through, line by line, for both versions.
    assert any(line.startswith(f"{repository}:v1: Step 1/") for line, _ in lines)
    assert any(line.startswith(f"{repository}:v2: Successfully tagged") for line, _ in lines)
    fractions = [f for _, f in lines]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    for version in ("v1", "v2"):
        image = engine.images.get(f"{repository}:{version}")
        assert image.labels["org.orchestra.model-version"] == version
        assert image.labels["org.orchestra.test"] == "lifecycle"
        # MODEL_VERSION reached the RUN step as a build arg.
        out = engine.containers.run(
            image.id, ["cat", "/version.txt"], remove=True, network_mode="host"
        )
        assert out.decode().strip() == f"model version {version}"


def test_a_failing_build_raises_with_the_engine_error(engine, repository, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nRUN exit 3\n")
    with pytest.raises(LabError) as caught:
        images.build(
            ["v1"], context=tmp_path, repository=repository, network_mode="host", client=engine
        )
    assert "Building" in caught.value.what and "returned a non-zero code: 3" in caught.value.what
    assert engine.images.list(name=repository) == []


def test_every_build_honours_lab_base_image_and_network(engine, repository, tmp_path, monkeypatch):
    # Lab 01's build_image calls images.build with no base image: offline, the hint
    # "set LAB_BASE_IMAGE" must work there too (measured on kind: it was ignored).
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)  # FROM scratch unless BASE_IMAGE is set
    monkeypatch.setenv("LAB_BASE_IMAGE", BASE_IMAGE)
    monkeypatch.setenv("LAB_BUILD_NETWORK", "host")
    tags = images.build(["v1"], context=tmp_path, repository=repository, client=engine)
    assert tags == [f"{repository}:v1"]
