"""Fixtures for the cluster-lifecycle tests: fake kind/kubectl/docker on PATH, a fake /proc."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from . import fake_tools


class Fakes:
    """The fake tools' directories, and helpers to set a scenario and read the calls."""

    def __init__(self, root: Path):
        self.bin = root / "fakebin"
        self.state = root / "state"
        self.local_bin = root / "repo-bin"  # stands in for ./bin: empty, so PATH is used
        self.local_bin.mkdir()
        fake_tools.install(self.bin, self.state)

    def set(self, name: str, content: str = "") -> None:
        (self.state / name).write_text(content)

    def calls(self, tool: str | None = None) -> list[list[str]]:
        return fake_tools.calls(self.state, tool)


@pytest.fixture
def fakes(tmp_path, monkeypatch) -> Fakes:
    """Fake tools first on PATH (the real env var; the code under test is not patched)."""
    found = Fakes(tmp_path)
    monkeypatch.setenv("PATH", f"{found.bin}{os.pathsep}{os.environ['PATH']}")
    return found


@pytest.fixture
def good_proc(tmp_path) -> Path:
    """A /proc with the inotify limits kind recommends."""
    root = tmp_path / "proc"
    inotify = root / "sys/fs/inotify"
    inotify.mkdir(parents=True)
    (inotify / "max_user_watches").write_text("524288\n")
    (inotify / "max_user_instances").write_text("512\n")
    return root


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
