"""Progress on long work: a bar and status line in a notebook, plain lines elsewhere.

Core code (image builds, cluster creation, rollout waits) takes a plain callback
``progress(step: str, fraction: float | None)`` and never imports widgets; a notebook
passes a ``Progress`` object. ``watch_rollout`` shows a live rollout bar while it waits.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from html import escape
from typing import Any

from helpers.views.statichtml import deployment_html, stylesheet
from helpers.views.viewstate import deployment_view

# A text line for every 10 % of progress: enough to see it move, few enough to read.
TEXT_STEP = 0.1
# A new step name (an image build reports every log line) at most once a second as text.
TEXT_INTERVAL_S = 1.0


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets can be shown).

    Example:
        >>> in_notebook()          # under plain python or pytest
        False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


class Progress:
    """A progress bar with a status line; call it as ``progress(step, fraction)``.

    ``fraction`` is 0..1, or None when the step's length is unknown. Calls may come from
    any thread: in a notebook they only set widget values; as text, lines are printed on
    the main thread only (the latest one waits for the next call there, or for done()).

    Example:
        >>> progress = Progress("building images")
        >>> helpers.kind.images.build(progress=progress)
        >>> progress.done()
    """

    def __init__(self, title: str = "", notebook: bool | None = None, stream=None, clock=None):
        self.title = title
        self._clock = clock or time.monotonic
        self._printed_at = -math.inf
        self.notebook = in_notebook() if notebook is None else notebook
        self.stream = stream if stream is not None else sys.stdout
        self.step, self.fraction = "", None
        self._printed: tuple[str, float | None] | None = None
        self._lock = threading.Lock()
        self.widget = self._build() if self.notebook else None

    def _build(self):
        import ipywidgets as widgets
        from IPython.display import display

        self._bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=self.title)
        self._label = widgets.Label(value="")
        box = widgets.HBox([self._bar, self._label])
        display(box)
        return box

    def __call__(self, step: str, fraction: float | None = None) -> None:
        with self._lock:
            self.step = step
            self.fraction = None if fraction is None else min(max(float(fraction), 0.0), 1.0)
        if self.notebook:
            self._label.value = step
            if self.fraction is not None:
                self._bar.value = self.fraction
            self._bar.bar_style = "info" if self.fraction is None else ""
        else:
            self._print()

    def _line(self) -> str:
        pct = "" if self.fraction is None else f" {self.fraction:4.0%}"
        head = f"{self.title}:" if self.title else ""
        return f"{head}{pct} {self.step}".strip()

    def _print(self, force: bool = False) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # never print from a background thread; the main thread catches up
        with self._lock:
            now, last, clock = (self.step, self.fraction), self._printed, self._clock()
            if last == now:
                return
            advanced = now[1] is not None and (
                last is None
                or last[1] is None
                or now[1] - last[1] >= TEXT_STEP
                or (now[1] == 1.0 and last[1] != 1.0)
            )
            new_step = last is None or (
                last[0] != now[0] and clock - self._printed_at >= TEXT_INTERVAL_S
            )
            if not (advanced or new_step or force):
                return
            self._printed, self._printed_at = now, clock
            line = self._line()
        print(line, file=self.stream, flush=True)

    def done(self, message: str = "done") -> None:
        """Mark the work finished."""
        self(message, 1.0)
        if self.notebook:
            self._bar.bar_style = "success"
        else:
            self._print(force=True)

    def fail(self, message: str) -> None:
        """Mark the work failed, keeping the bar where it stopped."""
        self(message, self.fraction)
        if self.notebook:
            self._bar.bar_style = "danger"
        else:
            self._print(force=True)


def _deployment_row(snapshot: dict[str, Any], name: str, namespace: str) -> dict | None:
    for row in snapshot.get("deployments", []):
        if row["name"] == name and row.get("namespace", "default") == namespace:
            return row
    return None


def _text(view: dict[str, Any]) -> str:
    return (
        f"deployment/{view['name']} {view['version']}: desired {view['desired']} · "
        f"updated {view['updated']} · available {view['available']} · total {view['total']}"
    )


class RolloutBar:
    """One Deployment's rollout bar (desired, updated, available) with a note under it.

    In a notebook it is an HTML widget, redrawn on every change of the Deployment (from
    any thread: it only sets the widget's value); as text it prints from the main thread.
    """

    def __init__(self, deployment: str, namespace: str = "default", notebook=None):
        self.key = f"{namespace}/{deployment}"
        self.notebook = in_notebook() if notebook is None else notebook
        self.row: dict[str, Any] | None = None
        self.view: dict[str, Any] | None = None
        self.note = ""
        self.widget = None
        if self.notebook:
            import ipywidgets as widgets
            from IPython.display import display

            self.widget = widgets.HTML()
            display(self.widget)

    def draw(self, row: dict[str, Any], note: str = "", verdict: str | None = None) -> None:
        """Redraw from a DeploymentRow; ``verdict`` overrides (a stuck pod is known first)."""
        view = deployment_view(row)
        if verdict:
            view["verdict"] = verdict
        self.row, self.view, self.note = row, view, note or self.note
        if self.widget is not None:
            self.widget.value = (
                f"<style>{stylesheet()}</style><div class='cv-root'>{deployment_html(view)}"
                f"<div class='cv-dep-text'>{escape(self.note)}</div></div>"
            )

    def on_change(self, change: dict[str, Any]) -> None:
        """A ``cluster.subscribe`` callback: follow this Deployment's rows."""
        if change.get("kind") == "Deployment" and change.get("key") == self.key and change["row"]:
            self.draw(change["row"])

    def say(self, text: str) -> None:
        """A plain line outside a notebook (main thread only, like Progress)."""
        if not self.notebook and threading.current_thread() is threading.main_thread():
            print(text, flush=True)


def watch_rollout(
    cluster,
    deployment: str,
    timeout: float = 300,
    namespace: str = "default",
    notebook=None,
    bar: RolloutBar | None = None,
):
    """Wait for a rollout like ``cluster.wait_rollout``, showing its bar while it moves.

    Returns what ``wait_rollout`` returns; its errors (RolloutStuck, LabTimeout) are
    shown on the bar, then raised unchanged.

    Example:
        >>> cluster.set_image("model", "orchestra/model:v2")
        >>> watch_rollout(cluster, "model")
    """
    bar = bar or RolloutBar(deployment, namespace, notebook)
    unsubscribe = cluster.subscribe(bar.on_change)
    try:
        row = _deployment_row(cluster.snapshot(), deployment, namespace)
        if row is not None:
            bar.draw(row, "rolling out ...")
            bar.say(_text(bar.view))
        try:
            state = cluster.wait_rollout(deployment, timeout=timeout, namespace=namespace)
        except Exception as err:
            note = f"stopped: {getattr(err, 'what', err)}"
            if bar.row is not None:
                bar.draw(bar.row, note, verdict="stuck")
            bar.say(note)
            raise
        row = _deployment_row(cluster.snapshot(), deployment, namespace)
        if row is not None:
            bar.draw(row, state.message)
        bar.say(f"{_text(bar.view)}\n{state.message}" if bar.view else state.message)
        return state
    finally:
        unsubscribe()
