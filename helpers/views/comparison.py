"""Two traffic runs side by side: the naive rollout against the careful one."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers.views.figure import FAILED_COLOR, LAYOUT, LabFigure, time_bins
from helpers.views.viewstate import version_color


def _success_per_bin(results: pd.DataFrame, bin_s: float) -> pd.Series:
    t = results["t"] - results["t"].min() if len(results) else results["t"]
    frame = results.assign(bin=time_bins(t, bin_s))
    return frame.groupby("bin")["ok"].mean() * 100


def compare_rollouts(
    results_a: pd.DataFrame,
    results_b: pd.DataFrame,
    labels: tuple[str, str] = ("naive", "best practice"),
    bin_s: float = 1.0,
) -> go.Figure:
    """Two runs side by side: success rate over time, and the errors each counted.

    Example:
        >>> compare_rollouts(naive.results, careful.results)
    """
    colors = (FAILED_COLOR, version_color("v1"))
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.7, 0.3],
        subplot_titles=("success rate per second (%)", "failed requests"),
    )
    failed = []
    for results, label, color in zip((results_a, results_b), labels, colors, strict=True):
        rate = _success_per_bin(results, bin_s)
        fig.add_trace(
            go.Scatter(x=rate.index, y=rate.to_numpy(), name=label, mode="lines", line_color=color),
            row=1,
            col=1,
        )
        failed.append(int((~results["ok"]).sum()))
    totals = [len(results_a), len(results_b)]
    fig.add_trace(
        go.Bar(
            x=list(labels),
            y=failed,
            name="failed requests",
            marker_color=list(colors),
            text=[f"{f} of {n}" for f, n in zip(failed, totals, strict=True)],
            textposition="outside",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(range=[0, 105], row=1, col=1)
    fig.update_yaxes(range=[0, max([*failed, 1]) * 1.25], row=1, col=2)
    fig.update_xaxes(title_text="seconds since the run started", row=1, col=1)
    fig.update_layout(**{**LAYOUT, "height": 420})
    return LabFigure(fig)
