"""Fixtures for the view tests: a fake cluster and a widget whose messages are recorded."""

from __future__ import annotations

import json
import threading

import pytest

from tests.views.fakecluster import FakeCluster


class RecordingComm:
    """Stands in for the kernel's comm: keeps every message the widget hands to it."""

    comm_id = "recording-comm"

    def __init__(self):
        self.messages: list[dict] = []
        self._arrived = threading.Condition()

    def send(self, data=None, metadata=None, buffers=None):
        # Serialise as the kernel would, so a message that is not JSON fails here too.
        with self._arrived:
            self.messages.append(json.loads(json.dumps(data)))
            self._arrived.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0) -> None:
        """Block until ``predicate(self)`` holds after some message; fail past ``timeout``."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: predicate(self), timeout), "no such message"

    def on_msg(self, callback):
        self.callback = callback

    def close(self, *args, **kwargs):
        pass

    def patches(self) -> list[dict]:
        """The custom "patch" messages, in order."""
        return [
            m["content"]
            for m in self.messages
            if m.get("method") == "custom" and m["content"].get("type") == "patch"
        ]

    def states(self) -> list[dict]:
        """Full states sent through the "state" trait, in order."""
        return [
            m["state"]["state"]
            for m in self.messages
            if m.get("method") == "update" and "state" in m.get("state", {})
        ]


@pytest.fixture
def cluster():
    return FakeCluster(workers=2, replicas=3)


@pytest.fixture
def view(cluster):
    """A ClusterView flushed by hand (no background thread) with a recording comm."""
    from helpers.views.clusterview import ClusterView

    widget = ClusterView(cluster, background=False)
    widget.comm = RecordingComm()
    yield widget
    widget.stop()
