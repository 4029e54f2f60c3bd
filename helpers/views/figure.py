"""A plotly Figure whose notebook output is plotly's mimetype and a one-line text.

JupyterLab draws plotly's own mimetype (``application/vnd.plotly.v1+json``) with the
plotly.js it ships (no network), live and in a saved notebook. We add no ``text/html``:
plotly's HTML either inlines the whole plotly.js bundle (about 4.7 MB per notebook) or
fetches it from a CDN. Viewers without a plotly renderer (GitHub) show the ``text/plain``
line, which says what the figure is and where to see it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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


def describe(fig: go.Figure) -> str:
    """The figure in one line of text, for viewers that cannot draw plotly.

    Example:
        >>> describe(go.Figure(layout_title_text="pods"))
        'Figure: pods (an interactive plotly chart: JupyterLab shows it)'
    """
    title = fig.layout.title.text or " / ".join(a.text for a in fig.layout.annotations if a.text)
    return f"Figure: {title or 'plotly'} (an interactive plotly chart: JupyterLab shows it)"


class LabFigure(go.Figure):
    """A ``go.Figure`` shown as plotly's mimetype (JupyterLab draws it) and one line of text."""

    def _repr_mimebundle_(self, include=None, exclude=None, validate=True, **kwargs):
        bundle = super()._repr_mimebundle_(include, exclude, validate, **kwargs) or {}
        if PLOTLY_MIMETYPE not in bundle:
            return bundle  # another renderer was chosen (pio.renderers.default): keep it
        # Only the mimetype and a line: an HTML part would carry or fetch plotly.js.
        return {PLOTLY_MIMETYPE: bundle[PLOTLY_MIMETYPE], "text/plain": describe(self)}

    def _ipython_display_(self):
        # plotly's own _ipython_display_ would bypass _repr_mimebundle_ (IPython prefers it).
        bundle = self._repr_mimebundle_()
        if not bundle:
            super()._ipython_display_()
            return
        from IPython.display import display

        display(bundle, raw=True)
