"""ClusterView: the live picture of nodes, pods, rollouts and events in a notebook.

Driven by ``cluster.subscribe`` (changes, never a redraw on a timer). Changes are queued
by the subscribe callback (a list append, so a simulator producing thousands of changes in
one ``cluster.sleep`` pays almost nothing), coalesced for ``interval`` seconds by a
background thread, and sent as one small patch message. The full state travels only for
the first render, a resync and ``stop()``. A text/html rendering travels with the widget,
so a saved notebook still shows the last picture on GitHub or nbviewer.

Every change is also recorded with its cluster time (timeline.py), each patch carrying
the new part of the recording, so the widget's slider can replay what happened; the
saved picture carries the recording and replays it where scripts run (nbviewer).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from helpers.errors import LabError
from helpers.views.statichtml import render_html
from helpers.views.staticreplay import replay_html
from helpers.views.timeline import MAX_BYTES, Timeline
from helpers.views.viewmodel import ViewModel

HERE = Path(__file__).parent
ESM_FILES = ("clusterdraw.js", "clusterview.js")
CSS_FILES = ("clusterview.css", "clusterreplay.css")

# 100 ms: changes closer together than this reach the browser as one message; faster than
# a person reads, slow enough that a burst of changes costs one message, not thousands.
DEFAULT_INTERVAL_S = 0.1

_LIVE: weakref.WeakSet = weakref.WeakSet()  # views still following a cluster


def stop_views(cluster) -> int:
    """Stop every live ClusterView of ``cluster`` (each keeps its last picture).

    For a lab's cleanup, which must work even when the cell that made the view was never
    run (after a kernel restart). Returns how many views were stopped.
    """
    views = [view for view in list(_LIVE) if view.cluster is cluster]
    for view in views:
        view.stop()
    return len(views)


class ClusterView(anywidget.AnyWidget):
    """Live nodes and pods of a cluster: chips coloured by model version, inside their node.

    Args:
        cluster: any ``helpers.core.api.Cluster`` (the simulator or a real cluster).
        interval: seconds over which changes are coalesced into one message.
        background: flush from a background thread (default); False leaves it to ``flush()``.
        replace: stop older live views of the same cluster (a re-run cell replaces its
            view); False keeps them all live.
        record: keep every change with its cluster time, for the replay slider and
            ``at(t)`` (False: only the present).
        max_recording_bytes: the bound on the recording (older history is thinned, then
            dropped, past it).

    Example:
        >>> view = helpers.ClusterView(cluster)
        >>> view                                  # the last line of a cell shows it
        >>> cluster.scale("model", 5)             # the chips appear as the pods do
        >>> view.at(12.0)["pods"]                 # the picture at cluster time 12 s
        >>> view.stop()                           # stop following; the last picture stays
    """

    # One module: the drawing and replay code a saved page shares, then the widget's own.
    _esm = "\n".join((HERE / f).read_text(encoding="utf-8") for f in ESM_FILES)
    _css = "\n".join((HERE / f).read_text(encoding="utf-8") for f in CSS_FILES)
    state = traitlets.Dict().tag(sync=True)
    # Names this widget's model in the front end, where every view of it shares one state.
    _uid = traitlets.Unicode().tag(sync=True)

    def __init__(
        self,
        cluster,
        interval: float = DEFAULT_INTERVAL_S,
        background: bool = True,
        replace: bool = True,
        record: bool = True,
        max_recording_bytes: int = MAX_BYTES,
        **kwargs,
    ):
        if not (callable(getattr(cluster, "subscribe", None)) and hasattr(cluster, "snapshot")):
            raise LabError(
                f"ClusterView needs a cluster, not {type(cluster).__name__}.",
                "Pass what helpers.connect() returns: helpers.ClusterView(cluster).",
            )
        if not interval > 0:
            raise LabError(
                f"ClusterView interval must be more than 0 s, not {interval!r}.",
                "Leave it out to use 0.1 s.",
            )
        super().__init__(_uid=uuid.uuid4().hex, **kwargs)
        self.cluster = cluster
        self.interval = float(interval)
        self.messages_sent = 0
        self.resync_requests = 0  # views that saw a gap in the patches and asked again
        self.replay_time: float | None = None  # the slider's cluster time (None: live)
        self._display_id: str | None = None
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._send_lock = threading.RLock()  # one patch at a time, in seq order
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._stopped = False
        # Subscribe before the snapshot so no change falls between the two (one seen twice
        # is harmless: applying a row again changes nothing).
        self._unsubscribe = cluster.subscribe(self._on_change)
        self._model = ViewModel(cluster.snapshot(), record=record, max_bytes=max_recording_bytes)
        self.state = self._model.full()
        self.on_msg(self._on_front_end)
        if replace:
            # Re-running a cell makes a new view: the old one stops following (its last
            # picture stays) instead of costing a subscription and a thread forever.
            for other in list(_LIVE):
                if other.cluster is cluster and other is not self:
                    other.stop()
        _LIVE.add(self)
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(
                target=self._flush_loop, name="ClusterView-flush", daemon=True
            )
            self._thread.start()

    # ---- kernel side ------------------------------------------------------------------
    def _on_change(self, change: dict[str, Any]) -> None:
        # Called on the backend's thread for every change: keep it to an append.
        if change.get("time") is None:
            # Stamped now, so the recording places it at its moment, not at the flush.
            change = {**change, "time": self.cluster.now()}
        with self._pending_lock:
            self._pending.append(change)
        self._wake.set()

    def _flush_loop(self) -> None:
        while not self._halt.is_set():
            self._wake.wait()
            # The coalescing window: changes arriving meanwhile join this batch; stop()
            # cuts it short.
            self._halt.wait(self.interval)
            self._wake.clear()
            if not self._halt.is_set():
                self.flush()

    def flush(self) -> dict[str, Any] | None:
        """Send what changed since the last flush as one patch; returns it (None if nothing).

        Example:
            >>> view.flush()["pods"].keys()
            dict_keys(['default/model-7c9d-abcde'])
        """
        with self._send_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, []
            if not batch:
                return None
            patch = self._model.apply(batch)
            if patch is not None:
                self.send(patch)
                self.messages_sent += 1
            return patch

    def _on_front_end(self, _widget, content: dict[str, Any], _buffers) -> None:
        # "hello" when a view renders, "resync" when it missed a patch: both want the full
        # state unless they already hold the latest.
        kind = content.get("type")
        self.resync_requests += kind == "resync"
        if kind == "resync" or (kind == "hello" and content.get("seq") != self._model.seq):
            self.resync()
        if kind in ("hello", "resync", "timeline"):
            self.send_timeline()
        if kind == "cursor":
            # Where a student left the replay slider (None: live), for plots.mark_time.
            t = content.get("t")
            self.replay_time = None if t is None else float(t)

    def send_timeline(self) -> None:
        """Send the whole recording (a view that renders, or lost track, asks for it)."""
        with self._send_lock:
            if self._model.timeline is not None:
                self.send(
                    {"type": "timeline", "seq": self._model.seq, **self._model.timeline.full()}
                )

    def resync(self) -> None:
        """Send the whole state again (a view that missed a patch asks for this)."""
        with self._send_lock:
            full = self._model.full()
            if full == self.state:
                self.send_state("state")  # same value: traitlets would not send it again
            else:
                self.state = full

    # ---- lifecycle --------------------------------------------------------------------
    def stop(self) -> None:
        """Stop following the cluster; the last picture stays (in the widget and as HTML)."""
        if self._stopped:
            return
        self._stopped = True
        _LIVE.discard(self)
        self._unsubscribe()
        self._halt.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.flush()
        with self._send_lock:
            self.state = self._model.stop()
        if self._display_id is not None:
            # Rewrite the outputs that show this widget, so the notebook saves the last
            # picture as HTML too (the live view re-renders once, from the final state).
            from IPython.display import update_display

            update_display(self._mimebundle(), raw=True, display_id=self._display_id)

    def close(self) -> None:
        """Stop following the cluster, then close the widget (its views disappear)."""
        if getattr(self, "_model", None) is not None:  # ipywidgets' __del__ calls close too
            self.stop()
        super().close()

    @property
    def stopped(self) -> bool:
        """True once stop() ran."""
        return self._stopped

    def __enter__(self) -> ClusterView:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- replay -----------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline | None:
        """The recording of every change this view drew (None when ``record=False``)."""
        return self._model.timeline

    def at(self, t: float) -> dict[str, Any]:
        """The view state at cluster time ``t``, from the recording (what replay shows).

        Example:
            >>> spike = run.results.sort_values("latency_ms").iloc[-1]["t"]
            >>> view.at(spike)["pods"]          # the pods at the slowest request
        """
        if self._model.timeline is None:
            raise LabError(
                "This ClusterView was made with record=False, so it keeps no history.",
                "Make it with helpers.ClusterView(cluster) to replay and to call at(t).",
            )
        self.flush()  # changes still waiting for the coalescing window count too
        return self._model.timeline.at(t)

    def replay(self, t: float | None) -> None:
        """Move every shown view's replay slider to cluster time ``t`` (None: back to live).

        Example:
            >>> view.replay(run.results.sort_values("latency_ms")["t"].iloc[-1])
        """
        self.send({"type": "seek", "t": None if t is None else float(t)})
        self.replay_time = None if t is None else float(t)

    # ---- static picture ---------------------------------------------------------------
    def to_html(self) -> str:
        """The current picture as self-contained HTML (no network), with the recording and
        a small script that replays it where scripts run (nbviewer; GitHub shows the picture).
        """
        with self._send_lock:
            html = render_html(self._model.state)
            if self._model.timeline is not None:
                html += replay_html(self._model.timeline)
            return html

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        # Front ends with a widget manager draw the live widget; GitHub, nbviewer and
        # nbconvert (no widget state saved) fall back to this picture.
        return {**data, "text/html": self.to_html()}, metadata

    def _mimebundle(self) -> dict:
        data, _ = self._repr_mimebundle_()
        return data

    def _ipython_display_(self) -> None:
        # Shown with a display id, so stop() can replace the saved HTML with the last state.
        from IPython.display import display

        if self._display_id is None:
            self._display_id = uuid.uuid4().hex
        display(self._mimebundle(), raw=True, display_id=self._display_id)

    def __repr__(self) -> str:
        header = self._model.state["header"]
        pods, nodes = len(self._model.state["pods"]), len(self._model.state["nodes"])
        status = "stopped" if self._stopped else "live"
        return f"<ClusterView {header['title']}: {nodes} nodes, {pods} pods, {status}>"
