"""What each injected fault cost: requests lost, availability, time to recover.

Computed from a traffic run's results (helpers.core.traffic schema: t, latency_ms, ok, status,
version, pod) and the cluster-clock times at which faults were injected. Each fault owns
the window from its injection to the next fault (or the end of the run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from helpers.errors import LabError

SUMMARY_COLUMNS = [
    "fault",
    "at_s",
    "requests",
    "lost",
    "availability",
    "first_failure_s",
    "recovered_after_s",
    "p99_ms",
]


def _faults_frame(faults) -> pd.DataFrame:
    """Accept {what: t}, [(t, what), ...] or a DataFrame with columns t and what."""
    if isinstance(faults, pd.DataFrame):
        if not {"t", "what"} <= set(faults.columns):
            raise LabError(
                "failure_summary needs fault times in a DataFrame with columns t and what.",
                'Pass e.g. {"delete a pod": 30.0, "stop worker-2": 90.0}.',
            )
        frame = faults[["t", "what"]]
    elif isinstance(faults, Mapping):
        frame = pd.DataFrame({"t": list(faults.values()), "what": list(faults.keys())})
    elif isinstance(faults, Iterable):
        frame = pd.DataFrame(list(faults), columns=["t", "what"])
    else:
        raise LabError(
            f"failure_summary cannot read faults of type {type(faults).__name__}.",
            'Pass e.g. {"delete a pod": 30.0} (what was done -> time on cluster.now()).',
        )
    return frame.astype({"t": float}).sort_values("t", kind="stable").reset_index(drop=True)


def _one(window: pd.DataFrame, what: str, at: float) -> dict:
    failed = window[~window["ok"]]
    ok = window[window["ok"]]
    if window.empty:
        first, recovered = None, math.nan  # no traffic in the window: nothing to tell
    elif failed.empty:
        first, recovered = None, 0.0
    else:
        first = round(float(failed["t"].iloc[0]) - at, 2)
        after = ok[ok["t"] > failed["t"].iloc[-1]]
        # Recovered when a request succeeds after the last failure of the window; NaN
        # when the window ends still failing.
        recovered = round(float(after["t"].iloc[0]) - at, 2) if len(after) else math.nan
    return {
        "fault": what,
        "at_s": round(at, 2),
        "requests": len(window),
        "lost": len(failed),
        "availability": round(len(ok) / len(window), 4) if len(window) else math.nan,
        "first_failure_s": first,
        "recovered_after_s": recovered,
        "p99_ms": round(float(ok["latency_ms"].quantile(0.99)), 1) if len(ok) else math.nan,
    }


def failure_summary(results: pd.DataFrame, faults) -> pd.DataFrame:
    """One row per fault: what was done, when, requests lost, availability, recovery time.

    Args:
        results: ``run.results`` of a traffic run during which the faults happened.
        faults: ``{what: t}``, ``[(t, what), ...]`` or a DataFrame (t, what), with t on
            the cluster clock (``cluster.now()`` just before injecting the fault).

    Example:
        >>> t0 = cluster.now(); cluster.delete_pod(pod); ...
        >>> failure_summary(run.results, {"delete one pod": t0})
    """
    frame = _faults_frame(faults)
    results = results.sort_values("t", kind="stable")
    ends = [*frame["t"].iloc[1:], math.inf]
    rows = []
    for (at, what), end in zip(frame[["t", "what"]].itertuples(index=False), ends, strict=True):
        window = results[(results["t"] >= at) & (results["t"] < end)]
        rows.append(_one(window, str(what), float(at)))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
