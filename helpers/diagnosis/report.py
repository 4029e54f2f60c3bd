"""The environment doctor: can this machine run the labs, and on which backend?

``helpers.doctor()`` in a notebook and ``make doctor`` in a shell run the same checks,
print a table with a status and a fix for each line, and return the results as data.
Nothing here raises for a missing tool: a missing tool is a line in the table.

Example:
    >>> report = helpers.doctor()
    >>> report.backend
    'sim'
"""

from __future__ import annotations

import argparse
import html
from dataclasses import dataclass, field

import pandas as pd

from helpers.connect import KIND_CONTEXT, Choice, choose
from helpers.diagnosis import checks

MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "info"}


@dataclass
class Report:
    """What the doctor found: the checks, and the backend helpers.connect() will pick."""

    checks: list[checks.Check]
    choice: Choice
    notes: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        """ "sim" or "kube": what helpers.connect() with no argument opens."""
        return self.choice.backend

    @property
    def kind_ready(self) -> bool:
        """True when nothing on the kind path failed (Docker reachable, tools usable)."""
        return not any(c.kind_path and c.status == "fail" for c in self.checks)

    def table(self) -> pd.DataFrame:
        """The checks as a DataFrame (check, status, detail, fix)."""
        rows = [(c.name, c.status, c.detail, c.fix) for c in self.checks]
        return pd.DataFrame(rows, columns=["check", "status", "detail", "fix"])

    def summary(self) -> str:
        """One sentence: which backend, and why."""
        if self.backend == "sim":
            return f"helpers.connect() will use the simulated cluster: {self.choice.reason}."
        return f"helpers.connect() will use the real cluster {self.choice.context}: {self.choice.reason}."

    def __str__(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = ["Orchestra labs doctor", ""]
        for c in self.checks:
            lines.append(f"  {MARK[c.status]:<4}  {c.name:<{width}}  {c.detail}")
            if c.fix and c.status in ("warn", "fail"):
                lines.append(f"        {'':<{width}}  fix: {c.fix}")
        lines += ["", self.summary()]
        if not self.kind_ready:
            lines.append("The real (kind) cluster path is not available on this machine yet.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = {"ok": "#2e7d32", "warn": "#ef6c00", "fail": "#c62828", "info": "#546e7a"}
        rows = "".join(
            f"<tr><td>{html.escape(c.name)}</td>"
            f"<td style='color:{colour[c.status]};font-weight:bold'>{MARK[c.status]}</td>"
            f"<td>{html.escape(c.detail)}</td><td><code>{html.escape(c.fix)}</code></td></tr>"
            for c in self.checks
        )
        return (
            "<table><thead><tr><th>check</th><th>status</th><th>detail</th><th>fix</th></tr>"
            f"</thead><tbody>{rows}</tbody></table><p><b>{html.escape(self.summary())}</b></p>"
        )


def run_checks(probe=None, docker_factory=None, which=None) -> Report:
    """Run every check and decide the backend (arguments let tests inject fakes)."""
    import shutil

    from helpers.kube.config import probe as kube_probe

    probe = probe or kube_probe
    which = which or shutil.which
    answers: dict[str, tuple[bool, str]] = {}

    def probe_once(context: str, timeout: float = 2.0) -> tuple[bool, str]:
        # The table and the backend choice must agree, so the cluster is asked once.
        if context not in answers:
            try:
                answers[context] = probe(context, timeout=timeout)
            except Exception as err:  # a probe must not take the doctor down
                answers[context] = (False, type(err).__name__)
        return answers[context]

    docker_check, info = checks.check_docker(docker_factory)
    cluster_check, reachable = checks.check_cluster(probe_once, KIND_CONTEXT)
    results = [
        checks.check_python(),
        docker_check,
        checks.check_docker_resources(info),
        checks.check_cgroup(info),
        checks.check_kind(which),
        checks.check_kubectl(KIND_CONTEXT, reachable, which),
        cluster_check,
        checks.check_inotify(),
        checks.check_port(30080, "the model Service's NodePort"),
        checks.check_port(8888, "JupyterLab"),
        checks.check_disk(),
    ]
    return Report(results, choose(probe=probe_once))


def doctor(show: bool = True, **fakes) -> Report:
    """Check this machine for the labs; print the table (or show it in a notebook).

    Returns:
        The Report: ``.checks``, ``.table()``, ``.backend`` and ``.kind_ready``.
    """
    report = run_checks(**fakes)
    if show:
        try:
            from IPython import get_ipython

            in_notebook = get_ipython() is not None
        except ImportError:
            in_notebook = False
        if in_notebook:
            from IPython.display import display

            display(report)
        else:
            print(report)
    return report


def main(argv: list[str] | None = None) -> int:
    """`make doctor`: print the report; exit 1 only with --strict when kind is unavailable."""
    parser = argparse.ArgumentParser(prog="python -m helpers.diagnosis", description=__doc__)
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when the kind cluster path is unavailable"
    )
    args = parser.parse_args(argv)
    report = doctor(show=True)
    if args.strict and not report.kind_ready:
        print("STRICT: failing because the kind path is unavailable (see FAIL lines above).")
        return 1
    return 0
