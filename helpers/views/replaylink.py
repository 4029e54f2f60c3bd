"""Traffic figures and ClusterView replay on one clock (``helpers.plots.mark_time``, ...).

Figures and the recording both use cluster time, so an instant on one is an instant on the
other. ``mark_time`` draws the replay's instant on a figure; ``link_replay`` tags a figure
with a view's id, and the view's front end then follows the mouse over that figure (both
in the same JupyterLab page): hover a latency spike and the cluster shows that second.

Example:
    >>> fig = helpers.plots.traffic_timeline(run.results, cluster.events())
    >>> helpers.plots.link_replay(fig, view)   # hovering the figure moves the slider
    >>> view.replay(42.0)                      # or from code: the cluster at 42 s
    >>> helpers.plots.mark_time(fig, view.replay_time)
"""

from __future__ import annotations

import plotly.graph_objects as go

REPLAY_COLOR = "#0969da"  # the slider's blue


def mark_time(fig: go.Figure, t: float | None, text: str = "replay") -> go.Figure:
    """A vertical line at cluster time ``t`` across the whole figure (None: nothing).

    Example:
        >>> mark_time(fig, 42.0).layout.shapes[-1].x0
        42.0
    """
    if t is None:
        return fig
    line = dict(color=REPLAY_COLOR, width=2)
    fig.add_shape(type="line", x0=t, x1=t, xref="x", yref="paper", y0=0, y1=1, line=line)
    fig.add_annotation(
        x=t, xref="x", y=1, yref="paper", yanchor="bottom", showarrow=False,
        text=f"{text} {t:.1f} s", font=dict(color=REPLAY_COLOR, size=11),
    )  # fmt: skip
    return fig


def link_replay(fig: go.Figure, view) -> go.Figure:
    """Tag ``fig`` so that hovering it moves ``view``'s replay slider to that time.

    Example:
        >>> link_replay(fig, view).layout.meta["clusterview"] == view._uid
        True
    """
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta={**meta, "clusterview": view._uid})
    return fig
