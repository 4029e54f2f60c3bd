"""A plotly Figure that also leaves offline HTML in a saved notebook.

JupyterLab draws plotly's own mimetype with the plotly.js it ships (no network). A saved
notebook opened elsewhere (nbviewer, nbconvert) has no such renderer, so each figure also
carries a ``text/html`` part. plotly 7's ``to_html`` either inlines the whole plotly.js
bundle (``include_plotlyjs=True``, about 4.7 MB) or none (``False``) or points at a CDN;
we inline it in the first figure a kernel displays and leave it out of the rest, and never
add MathJax (its default is a CDN script).
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"

# The look every lab figure shares: white background, legend under the plot.
FAILED_COLOR = "#e45756"
LAYOUT = dict(
    template="plotly_white",
    height=540,
    legend=dict(orientation="h", y=-0.16, yanchor="top", traceorder="normal"),
    margin=dict(t=60, b=40),
)


def time_bins(t: pd.Series, bin_s: float) -> pd.Series:
    """The start of each time's bin (rounded, so equal bins compare equal).

    Example:
        >>> time_bins(pd.Series([0.2, 1.7]), 1.0).tolist()
        [0.0, 1.0]
    """
    return (np.floor(t / bin_s) * bin_s).round(6)


_embedded = threading.Event()  # set once this kernel has sent plotly.js in some output


def offline_html(fig: go.Figure, force_plotlyjs: bool = False) -> str:
    """The figure as an HTML fragment, plotly.js inlined the first time (or when forced).

    Example:
        >>> html = offline_html(traffic_timeline(run.results), force_plotlyjs=True)
    """
    include = force_plotlyjs or not _embedded.is_set()
    html = pio.to_html(
        fig,
        include_plotlyjs=include,
        include_mathjax=False,
        full_html=False,
        config={"displaylogo": False},
    )
    _embedded.set()
    return html


def embed_plotlyjs_again() -> None:
    """Inline plotly.js in the next figure shown (after clearing the output that held it).

    Example:
        >>> helpers.plots.embed_plotlyjs_again()
    """
    _embedded.clear()


class LabFigure(go.Figure):
    """A ``go.Figure`` whose notebook output works live in JupyterLab and saved offline."""

    def _repr_mimebundle_(self, include=None, exclude=None, validate=True, **kwargs):
        bundle = super()._repr_mimebundle_(include, exclude, validate, **kwargs) or {}
        if PLOTLY_MIMETYPE in bundle and "text/html" not in bundle:
            bundle = {**bundle, "text/html": offline_html(self)}
        return bundle

    def _ipython_display_(self):
        # plotly's own _ipython_display_ would bypass _repr_mimebundle_ (IPython prefers it).
        bundle = self._repr_mimebundle_()
        if not bundle:
            super()._ipython_display_()
            return
        from IPython.display import display

        display(bundle, raw=True)
