"""The kit's own small, flat exception hierarchy.

Every message says what happened and what to do next, with the command to type, so a
student reading a red cell knows the next step. Helpers catch library exceptions for
expected failures (no Docker, no cluster, a bad manifest) and raise one of these instead.

Example:
    >>> try:
    ...     helpers.connect("kind")
    ... except helpers.errors.ClusterUnavailable as err:
    ...     print(err.hint)
"""

from __future__ import annotations

import sys
import traceback

# ANSI styles for the notebook's error output (Jupyter renders them in text outputs).
_RED, _BOLD, _DIM, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m"


class LabError(Exception):
    """Root of every error the helpers raise on purpose.

    In a notebook (IPython) it renders as its message, the next step and the line of the
    student's cell that raised it, not as a traceback through the helpers' internals;
    ``helpers.errors.full_traceback()`` prints the whole traceback when it is wanted.

    Args:
        what: what happened, in one sentence.
        hint: what to do next, ideally the exact command to type.
    """

    default_hint = "See the Troubleshooting section of README.md."

    def __init__(self, what: str, hint: str | None = None):
        self.what = what
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(f"{what} {self.hint}".strip())

    def _render_traceback_(self) -> list[str]:
        """IPython's hook for an exception's own rendering: lines of text (ANSI allowed)."""
        lines = [f"{_RED}{_BOLD}{type(self).__name__}{_RESET}: {self.what}"]
        if self.hint:
            lines.append(f"{_BOLD}next:{_RESET} {self.hint}")
        cell = _cell_frame(self.__traceback__)
        if cell is not None:
            lines.append(
                f"{_DIM}in your cell, line {cell.lineno}: {(cell.line or '').strip()}{_RESET}"
            )
        lines.append(f"{_DIM}(the full traceback: helpers.errors.full_traceback()){_RESET}")
        return lines


def _cell_frame(tb) -> traceback.FrameSummary | None:
    """The innermost frame of ``tb`` in a notebook cell (IPython names cells by a temporary
    file under ipykernel_*, or <ipython-input-...> in a terminal), or None."""
    found = None
    for frame in traceback.extract_tb(tb):
        if "ipykernel_" in frame.filename or frame.filename.startswith("<ipython-input-"):
            found = frame
    return found


def full_traceback() -> None:
    """Print the whole traceback of the last error a notebook cell raised.

    A ``LabError`` shows only its message and next step; this shows every frame, for a
    bug report or the curious. Prints a note when no cell has raised yet.

    Example:
        >>> helpers.errors.full_traceback()
        Traceback (most recent call last): ...
    """
    error = getattr(sys, "last_value", None)  # IPython (and the REPL) keep the last error
    if error is None:
        print("No error has been raised in this session yet.")
        return
    traceback.print_exception(type(error), error, error.__traceback__)


class DockerUnavailable(LabError):
    """The Docker daemon (needed for kind and for building images) cannot be reached."""

    default_hint = (
        "Start Docker Desktop (or `sudo systemctl start docker` on Linux), then run "
        '`make doctor`; or run the labs on the built-in simulator with helpers.connect("sim").'
    )


class ClusterUnavailable(LabError):
    """No Kubernetes API server answers for the requested cluster or context."""

    default_hint = (
        "Create the course cluster with `make cluster` (needs Docker), check it with "
        '`make doctor`, or use the simulator: helpers.connect("sim").'
    )


class ManifestError(LabError):
    """A manifest cannot be read, or asks for something the cluster refuses."""

    default_hint = (
        "Fix the field named above in your YAML; `kubectl explain <kind>.<field>` "
        "documents every field."
    )


class NotFound(LabError):
    """An object the call names does not exist."""

    default_hint = "List what exists with cluster.pods(), cluster.nodes() or cluster.snapshot()."


class RolloutStuck(LabError):
    """A rollout cannot complete; ``reason`` is the Kubernetes reason that says why.

    Args:
        what: the sentence for people.
        reason: ``ProgressDeadlineExceeded``, ``ImagePullBackOff``, ``CrashLoopBackOff``, ...
        hint: the next step (default: inspect, then `rollout undo`).
    """

    default_hint = (
        "Look at cluster.events() and cluster.pods(), then roll back with "
        'cluster.rollout_undo("<deployment>") (kubectl rollout undo deployment/<deployment>).'
    )

    def __init__(self, what: str, reason: str, hint: str | None = None):
        self.reason = reason
        super().__init__(what, hint)


class ServiceUnavailable(LabError):
    """A Service could not answer a request; ``status`` is what the client saw.

    ``status`` follows helpers.core.traffic: 0 (no endpoint / not sent), 502 (refused or reset),
    503 (the pod's model is still loading), 504 (no answer in time), or the HTTP status.
    """

    default_hint = (
        "Look at cluster.pods() and cluster.events(): are the pods Running and Ready? "
        'cluster.wait_rollout("<deployment>") waits until they are.'
    )

    def __init__(self, what: str, status: int, hint: str | None = None):
        self.status = status
        super().__init__(what, hint)


class LabTimeout(LabError):
    """A wait ran out of time before its condition held."""

    default_hint = (
        "Look at cluster.events() for the cause; if the cluster is just slow, wait again "
        "with a larger timeout=."
    )


class UnsupportedOnBackend(LabError):
    """The call has no meaning on this backend (e.g. stop_node on a cloud cluster)."""

    default_hint = 'Run this step on the kind cluster (`make cluster`) or the simulator ("sim").'


class ToolMissing(LabError):
    """A command-line tool the step needs (kind, kubectl, docker) is not installed."""

    default_hint = "Run `make doctor` to see what is missing and how to install it."


class ChecksumMismatch(LabError):
    """A downloaded binary's SHA-256 differs from cluster/tools.lock (the file was deleted)."""

    default_hint = (
        "Do not install it by hand: the download was altered or the lock is wrong. Retry "
        "`make cluster` later, or install the tool from its official page."
    )


class CheckFailed(LabError):
    """An exercise check failed while ``LAB_STRICT_CHECKS=1`` (the instructors' CI on kind).

    A student's failing check only shows ✗ with a hint; a CI run of the instructors'
    answers, whose outputs nbval-lax does not compare, must stop there instead.
    """

    default_hint = (
        "The instructors' answer no longer passes on this backend: see the seen/hint above."
    )


class CommandFailed(LabError):
    """kind or kubectl exited non-zero; ``output`` holds its last lines."""

    default_hint = (
        "Run `make doctor`; if the cluster is broken, `make cluster-delete` then `make cluster`."
    )

    def __init__(self, what: str, output: str = "", hint: str | None = None):
        self.output = output
        super().__init__(what, hint)


__all__ = [
    "CheckFailed",
    "ChecksumMismatch",
    "ClusterUnavailable",
    "CommandFailed",
    "DockerUnavailable",
    "LabError",
    "LabTimeout",
    "ManifestError",
    "NotFound",
    "RolloutStuck",
    "ServiceUnavailable",
    "ToolMissing",
    "UnsupportedOnBackend",
    "full_traceback",
]
