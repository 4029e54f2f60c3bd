"""Figures for the labs: pure functions from DataFrames to plotly figures (``helpers.plots``).

Inputs are the shared shapes: ``run.results`` (t, latency_ms, ok, status, version, pod),
``cluster.events()`` (time, type, object, reason, message) and ``Recorder.history``
(t, version, pods, ready). Times are on the cluster clock, so traffic and events line up.

Example:
    >>> helpers.plots.traffic_timeline(run.results, cluster.events())
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers.views.comparison import compare_rollouts
from helpers.views.failures import failure_summary
from helpers.views.figure import (
    FAILED_COLOR,
    LAYOUT,
    LabFigure,
    time_bins,
)
from helpers.views.recorder import Recorder
from helpers.views.replaylink import link_replay, mark_time
from helpers.views.viewstate import version_color

__all__ = [
    "Recorder",
    "compare_rollouts",
    "failure_summary",
    "link_replay",
    "mark_time",
    "pods_per_version",
    "traffic_timeline",
]

# Events that mark a turn in the story; per-pod chatter (Pulled, Created, Started) and
# repeating ones (Unhealthy every probe period) would bury them.
NOTABLE_REASONS = (
    "Killing",
    "ScalingReplicaSet",
    "NodeNotReady",
    "SuccessfulRescale",
    "TaintManagerEviction",
    "Evicted",
)
PERCENTILES = (50, 95, 99)


def _events_frame(events, reasons: Iterable[str] | None) -> pd.DataFrame:
    frame = pd.DataFrame(events if events is not None else [])
    if frame.empty:
        return pd.DataFrame(columns=["time", "type", "object", "reason", "message"])
    if reasons is not None:
        frame = frame[frame["reason"].isin(list(reasons))]
    return frame.sort_values("time", kind="stable")


def _add_events(fig: go.Figure, events: pd.DataFrame, bin_s: float, top: float) -> None:
    """One dotted line and one hover marker per bin holding notable events."""
    if events.empty:
        return
    grouped = events.assign(bin=time_bins(events["time"], bin_s)).groupby("bin", sort=True)
    xs, texts = [], []
    for _, group in grouped:
        x = float(group["time"].iloc[0])
        xs.append(x)
        lines = [
            f"{r.time:.1f} s {r.reason}: {r.object}<br>  {r.message}"
            for r in group.itertuples(index=False)
        ]
        texts.append("<br>".join(lines[:8] + ([f"... {len(lines) - 8} more"] * (len(lines) > 8))))
        fig.add_vline(x=x, line=dict(color="#8c959f", width=1, dash="dot"), row="all", col=1)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[top] * len(xs),
            mode="markers",
            name="events",
            marker=dict(symbol="triangle-down", size=11, color="#57606a"),
            hovertext=texts,
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )


def traffic_timeline(
    results: pd.DataFrame,
    events=None,
    bin_s: float = 1.0,
    reasons: Iterable[str] | None = NOTABLE_REASONS,
) -> go.Figure:
    """Requests per second by outcome and version, latency percentiles, and events.

    Args:
        results: ``run.results`` of a traffic run.
        events: ``cluster.events()`` (or EventRow dicts) to mark; None for none.
        bin_s: bin width in seconds (1 s by default).
        reasons: which event reasons to mark (None: all).

    Example:
        >>> fig = traffic_timeline(run.results, cluster.events())
    """
    df = results.assign(bin=time_bins(results["t"], bin_s))
    lo, hi = (df["bin"].min(), df["bin"].max()) if len(df) else (0.0, 0.0)
    grid = np.round(np.arange(lo, hi + bin_s / 2, bin_s), 6)
    mid = grid + bin_s / 2  # bars and percentiles sit in the middle of their bin
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.6, 0.4],
        vertical_spacing=0.1,
        subplot_titles=("requests per second", "latency of successful requests (ms)"),
    )
    ok = df[df["ok"]]
    versions = sorted(ok["version"].fillna("?").unique(), key=lambda v: (v[:1] != "v", v))
    for version in versions:
        counts = ok[ok["version"].fillna("?") == version].groupby("bin").size()
        fig.add_trace(
            go.Bar(
                x=mid,
                y=counts.reindex(grid, fill_value=0).to_numpy() / bin_s,
                name=f"ok {version}",
                marker_color=version_color(version),
            ),
            row=1,
            col=1,
        )
    failed = df[~df["ok"]].groupby("bin").size().reindex(grid, fill_value=0)
    fig.add_trace(
        go.Bar(x=mid, y=failed.to_numpy() / bin_s, name="failed", marker_color=FAILED_COLOR),
        row=1,
        col=1,
    )
    latency = ok["latency_ms"].astype(float).groupby(ok["bin"])
    quantiles = latency.quantile([q / 100 for q in PERCENTILES])
    for q, dash in zip(PERCENTILES, ("solid", "dash", "dot"), strict=True):
        series = quantiles.xs(q / 100, level=1) if len(quantiles) else pd.Series(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=series.reindex(grid).round(3).to_numpy(),
                name=f"p{q}",
                mode="lines",
                line=dict(color="#1f2328", dash=dash, width=1.5),
            ),
            row=2,
            col=1,
        )
    per_bin = df.groupby("bin").size()
    top = float(per_bin.max() / bin_s) * 1.08 if len(per_bin) else 1.0
    frame = _events_frame(events, reasons)
    if len(df):
        frame = frame[(frame["time"] >= lo - bin_s) & (frame["time"] <= hi + 2 * bin_s)]
    _add_events(fig, frame, bin_s, top)
    fig.update_layout(barmode="stack", bargap=0.05, **LAYOUT)
    fig.update_xaxes(title_text="cluster time (s)", row=2, col=1)
    # From zero, so a flat latency reads as flat rather than as noise magnified.
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    return LabFigure(fig)


def pods_per_version(history: pd.DataFrame) -> go.Figure:
    """Pods and Ready pods per version over time: the cohorts of a rollout.

    Example:
        >>> pods_per_version(recorder.history)
    """
    fig = go.Figure()
    end = float(history["t"].max()) if len(history) else 0.0
    for version in sorted(history["version"].unique(), key=lambda v: (v[:1] != "v", v)):
        rows = history[history["version"] == version].groupby("t").last().reset_index()
        t = [*rows["t"], end]
        color = version_color(version)
        for column, dash in (("ready", "solid"), ("pods", "dot")):
            y = [*rows[column], rows[column].iloc[-1]]
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=y,
                    name=f"{version} {column}",
                    mode="lines",
                    line=dict(shape="hv", color=color, dash=dash, width=2.5),
                )
            )
    fig.update_layout(
        title="pods per version (solid: Ready, dotted: all)",
        xaxis_title="cluster time (s)",
        yaxis_title="pods",
        yaxis_rangemode="tozero",
        # Whole pods: one tick per pod while that stays readable.
        yaxis_dtick=1 if len(history) and history["pods"].max() <= 10 else None,
        **{**LAYOUT, "height": 380},
    )
    return LabFigure(fig)
