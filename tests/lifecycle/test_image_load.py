"""Loading the model images into kind, with the multi-arch fallback; pushing needs a registry."""

from __future__ import annotations

import os

import pytest

from helpers.errors import LabError
from helpers.kind import images
from helpers.kind.cli import CommandFailed

IMAGES = ["orchestra/model:v1", "orchestra/model:v2"]


def test_images_load_with_kind_load_docker_image_into_every_node(fakes):
    route = images.load_into_kind(IMAGES, bin_dir=fakes.local_bin)
    assert route == "docker-image"
    # No --nodes flag: kind loads into every node of the cluster by default.
    assert fakes.calls("kind") == [["load", "docker-image", "--name", "orchestra", *IMAGES]]
    assert fakes.calls("docker") == []


def test_multiarch_content_digest_failure_falls_back_to_an_image_archive(fakes):
    """kind's known failure: https://github.com/kubernetes-sigs/kind/issues/3795"""
    fakes.set("multiarch")
    steps: list[str] = []
    route = images.load_into_kind(
        IMAGES, progress=lambda s, f: steps.append(s), bin_dir=fakes.local_bin
    )
    assert route == "image-archive"
    (save,) = fakes.calls("docker")
    assert save[:2] == ["save", "--platform"] and save[2].startswith("linux/")
    assert save[-2:] == IMAGES
    archive = save[save.index("-o") + 1]
    kind_calls = fakes.calls("kind")
    assert kind_calls[-1] == ["load", "image-archive", "--name", "orchestra", archive]
    # The fake kind read the archive docker wrote; the kit removed it afterwards.
    assert (fakes.state / "archive_seen").read_text() == "tar of " + " ".join(IMAGES)
    assert not os.path.exists(archive)
    assert any("multi-arch" in s for s in steps)


def test_docker_without_save_platform_is_retried_without_the_flag(fakes):
    fakes.set("multiarch")
    fakes.set("old_docker")
    assert images.load_into_kind(IMAGES, bin_dir=fakes.local_bin) == "image-archive"
    first, second = fakes.calls("docker")
    assert "--platform" in first and "--platform" not in second


def test_other_load_failures_are_not_papered_over(fakes):
    fakes.set("load_fails")
    with pytest.raises(CommandFailed, match="not present locally"):
        images.load_into_kind(["orchestra/model:v9"], bin_dir=fakes.local_bin)
    assert fakes.calls("docker") == []


def test_push_without_a_registry_says_how_to_name_one(monkeypatch):
    monkeypatch.delenv("LAB_REGISTRY", raising=False)
    with pytest.raises(LabError) as caught:
        images.push(IMAGES, client=object())
    assert "LAB_REGISTRY" in caught.value.what
    assert "export LAB_REGISTRY=" in caught.value.hint


def test_latest_is_never_built():
    with pytest.raises(LabError, match="latest"):
        images.build(["latest"], client=object())


def test_make_images_load_entry_point(fakes, capsys, monkeypatch):
    from helpers.kind.imagecli import main
    from helpers.kind.tools import BIN_DIR

    if (BIN_DIR / "kind").exists():
        pytest.skip("./bin/kind exists: the entry point would drive the real kind, not the fake")
    assert main(["load", "--versions", "v1", "v2"]) == 0
    assert "loaded 2 images into 'orchestra' (docker-image)" in capsys.readouterr().out
    monkeypatch.delenv("LAB_REGISTRY", raising=False)
    assert main(["push", "--versions", "v1"]) == 1
    assert "next: Set it to a registry" in capsys.readouterr().err
