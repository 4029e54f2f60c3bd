"""One watched kind, informer style: list, then watch from the list's resourceVersion.

Kubernetes clients keep a cache current this way (client-go's reflector): a list gives
the state and a resourceVersion; a watch from that version streams every change after
it. When the version has expired (HTTP 410 Gone, or an ERROR event with code 410) the
informer lists again; when the connection drops it reconnects from the last version it
saw, with a capped exponential back-off. The thread only updates the cache through its
callbacks; it never prints.
(kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes)
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch import Watch

from helpers.core.kinds import Kind
from helpers.errors import ClusterUnavailable, LabError
from helpers.kube.apiserver import ApiServer
from helpers.kube.statuses import Gone, Request, error_for, parse_status

# Back-off after a dropped connection: 0.2 s doubling to 10 s, so a restarted API
# server is picked up quickly and a dead one is not hammered.
BACKOFF_MIN, BACKOFF_MAX = 0.2, 10.0
# The API server ends each watch after timeoutSeconds; a random 4-6 min spreads the
# reconnects of the five informers (client-go's reflector picks 5-10 min the same way).
WATCH_SECONDS = (240, 360)


class _Stopped(Exception):
    pass


class Informer:
    """Keeps one kind's objects current through ``on_replace`` and ``on_event`` callbacks.

    Args:
        api: the API server.
        resource: what to watch (all namespaces).
        on_replace: ``on_replace(kind, items)`` after every (re-)list.
        on_event: ``on_event(kind, type, obj)`` for ADDED, MODIFIED and DELETED.

    Example:
        >>> inf = Informer(api, KINDS["Pod"], store.replace, store.event).start()
        >>> inf.synced.wait(10)
        True
    """

    def __init__(
        self,
        api: ApiServer,
        resource: Kind,
        on_replace: Callable[[str, list[dict[str, Any]]], None],
        on_event: Callable[[str, str, dict[str, Any]], None],
    ):
        self.api, self.resource = api, resource
        self.on_replace, self.on_event = on_replace, on_event
        self.synced = threading.Event()
        self.error: LabError | None = None  # the last failure, for the constructor and doctor
        self.relists = 0  # lists after the first (410 Gone)
        self.reconnects = 0  # watches re-opened after a failure
        self.resource_version: str | None = None
        self._halt = threading.Event()
        self._watch = Watch()
        self._response = None
        self._thread = threading.Thread(
            target=self._run, name=f"watch-{resource.plural}", daemon=True
        )

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait (at most ``timeout`` s) for the thread to end."""
        self._halt.set()
        self._watch.stop()
        resp = self._response
        if resp is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError, AttributeError):
                resp.shutdown()  # unblocks the thread's read at once
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        backoff = BACKOFF_MIN
        while not self._halt.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                self._watch_once()
                backoff = BACKOFF_MIN
                self.error = None
            except _Stopped:
                break
            except Gone:
                self.resource_version = None
                self.relists += 1
            except (ClusterUnavailable, ApiException, urllib3.exceptions.HTTPError, OSError) as err:
                if self._halt.is_set():
                    break
                if isinstance(err, ApiException) and err.status == 410:
                    self.resource_version = None  # an ERROR event: the version expired
                    self.relists += 1
                    continue
                if isinstance(err, ClusterUnavailable):
                    self.error = err
                self.reconnects += 1
                self._halt.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            except LabError as err:  # 403 or 404: retrying soon will not help
                self.error = err
                self.synced.set()
                self._halt.wait(BACKOFF_MAX)

    def _list(self) -> None:
        req = Request("list", self.resource.kind)
        data = self.api.list(self.resource.path(), req)
        self.on_replace(self.resource.kind, data.get("items") or [])
        self.resource_version = (data.get("metadata") or {}).get("resourceVersion") or "0"
        self.synced.set()

    def _open(self, **kwargs):
        # Called by Watch.stream with its own keyword arguments; returns the raw stream.
        if self._halt.is_set():
            raise _Stopped
        seconds = kwargs.get("timeout_seconds")
        query = {
            "watch": "true",
            "resourceVersion": kwargs.get("resource_version"),
            "timeoutSeconds": seconds,
            "allowWatchBookmarks": "true",
        }
        resp = self.api.send("GET", self.resource.path(), query, timeout=(10, seconds + 15))
        if not 200 <= resp.status <= 299:
            data = resp.data
            resp.release_conn()
            raise error_for(
                resp.status,
                parse_status(data),
                Request("watch", self.resource.kind),
                self.api.context,
            )
        self._response = resp
        if self._halt.is_set():  # stop() ran while we connected: it may not have seen resp
            resp.close()
            raise _Stopped
        return resp

    def _watch_once(self) -> None:
        seconds = random.randint(*WATCH_SECONDS)
        stream = self._watch.stream(
            self._open, resource_version=self.resource_version, timeout_seconds=seconds
        )
        try:
            for event in stream:
                obj = event.get("raw_object") or {}
                version = (obj.get("metadata") or {}).get("resourceVersion")
                if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    self.on_event(self.resource.kind, event["type"], obj)
                if version:
                    self.resource_version = version
                if self._halt.is_set():
                    raise _Stopped
        finally:
            self._response = None
