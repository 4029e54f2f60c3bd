"""A container's main process: the image's CMD, or the manifest's ``command`` and ``args``.

The model image has no ENTRYPOINT and CMD ["python", "-m", "orchestra_model.server"], so
``command`` replaces the whole command line, ``args`` alone is the whole command line too,
and ``command`` + ``args`` run together.
(kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/)

What runs is a Script (shell.py): e.g. the official liveness example's
``sh -c "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"``, whose file
changes are written ahead into the run's Files, or ``sh -c "touch /tmp/healthy; exec
python -m orchestra_model.server"``, which becomes the server once it execs. A shell or
``sleep`` as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM for it and the
kubelet kills it when the grace period ends (exit 137).
(kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.errors import ManifestError
from helpers.sim import shell
from helpers.sim.shell import Script

IMAGE_CMD = ("python", "-m", "orchestra_model.server")
# The image's other program: the gateway of lab 08 (cluster/model/orchestra_model/gateway.py),
# which forwards /predict to $MODEL_URL, found through cluster DNS.
GATEWAY_CMD = ("python", "-m", "orchestra_model.gateway")
MODEL, GATEWAY = "model", "gateway"


@dataclass(frozen=True)
class Program:
    """The main process of a container: ``script`` is None for an app of the image run
    directly; ``app`` is which of the image's servers it is (or becomes): "model" (the
    image's CMD) or "gateway"."""

    script: Script | None = None
    app: str = MODEL


IMAGE_PROGRAM = Program()


@dataclass(frozen=True)
class Launch:
    """One start of a Program at time ``t``: when the server starts (None: never), and
    when and how the process ends on its own (None: it runs until stopped)."""

    server_at: float | None
    exit_at: float | None
    exit_code: int


def _strings(value, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{field} must be a list of strings, e.g. [sh, -c, 'sleep 5'].")
    return value


def parse(command, args, field: str) -> Program:
    """The Program of a container spec's ``command``/``args`` (ManifestError naming them)."""
    if command is None and args is None:
        return IMAGE_PROGRAM
    argv = _strings(command, f"{field}.command") if command is not None else []
    argv = argv + (_strings(args, f"{field}.args") if args is not None else [])
    where = f"{field}.command" if command is not None else f"{field}.args"
    if tuple(argv) == IMAGE_CMD:
        return IMAGE_PROGRAM
    if tuple(argv) == GATEWAY_CMD:
        return Program(app=GATEWAY)
    return Program(shell.compile(argv, where, main=True))


def launch(program: Program, files, t: float) -> Launch:
    """Start ``program`` at ``t``; the file changes of its script go into ``files``."""
    if program.script is None:
        return Launch(t, None, 0)
    done = shell.run(program.script, files, t)
    if done.server_at is not None:
        return Launch(done.server_at, None, 0)
    return Launch(None, None if done.end == float("inf") else done.end, done.code)
