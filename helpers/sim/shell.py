"""Commands run in a container: an exec probe's argv, or ``sh -c "<commands>"``.

``compile`` checks a command when the manifest is applied and refuses, naming the field,
what the simulator cannot run; ``run`` executes it against a container's Files. The shell
is Debian's dash (/bin/sh) or bash: commands joined by ``;``, ``&&`` and ``||``, ``!``,
``exit N`` and ``exec``; a missing command prints "sh: 1: curl: not found" and exits 127.
Outside a shell, a missing command is the runtime's error, not an exit code: the exec
never starts (runc: 'exec: "curl": executable file not found in $PATH').
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

from helpers.errors import ManifestError
from helpers.sim import commands
from helpers.sim.commands import SERVER_ARGS, Unmodelled
from helpers.sim.image import ABSENT, COREUTILS, PYTHONS, SHELLS, binary

# 10 KiB: the kubelet keeps this much of an exec probe's output (pkg/probe/exec maxReadLength).
MAX_OUTPUT = 10 * 1024
MODELLED = (
    f"{', '.join(c for c in COREUTILS if c != '[')}, [ ], sh -c / bash -c with ; && || ! exit "
    'exec, python -c "import time; time.sleep(N)" and exec python -m orchestra_model.server'
)
_OPERATORS = (";", "&&", "||")


@dataclass(frozen=True)
class Step:
    """One simple command of a script, run if its connector allows (";", "&&" or "||")."""

    conn: str
    argv: tuple[str, ...]
    line: int
    negate: bool = False
    exec_: bool = False


@dataclass(frozen=True)
class Script:
    """A checked command: the argv as given and its steps (one unless it is ``sh -c``)."""

    argv: tuple[str, ...]
    shell: str | None
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Result:
    """A finished run: exit code, output, end time; ``server_at`` if it exec'd the server;
    ``error`` if the runtime could not start the command at all."""

    code: int
    output: str
    end: float
    server_at: float | None = None
    error: str = ""


def _refuse(field: str, what: str) -> ManifestError:
    return ManifestError(
        f"{field}: {what}. The simulator models the model image's {MODELLED}; commands a "
        f"slim image lacks ({', '.join(ABSENT)}) fail as they would.",
        "Use a command from that list, an httpGet probe on /healthz or /readyz, or run "
        "this lab on the kind cluster.",
    )


def _parse(script: str, field: str) -> tuple[Step, ...]:
    if "$" in script or "`" in script:
        raise _refuse(field, "shell variables and command substitution are not modelled")
    steps: list[Step] = []
    for line_no, line in enumerate(script.split("\n"), 1):
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
        lex.whitespace_split = True
        try:
            tokens = list(lex)
        except ValueError as err:
            raise _refuse(field, f"the shell cannot parse line {line_no}: {err}") from None
        conn, words = ";", []
        for tok in [*tokens, ";"]:
            if tok and set(tok) <= set(";&|<>()"):
                if tok not in _OPERATORS:
                    raise _refuse(
                        field, f"{tok!r} (pipes, redirections, background) is not modelled"
                    )
                if words:
                    steps.append(_step(conn, words, line_no))
                elif tok != ";" or conn != ";":
                    raise _refuse(field, f"the shell cannot parse {tok!r} on line {line_no}")
                conn, words = tok, []
            elif any(c in tok for c in "*?"):
                raise _refuse(field, f"{tok!r}: file name patterns are not modelled")
            else:
                words.append(tok)
    if not steps:
        raise _refuse(field, "the shell script is empty")
    return tuple(steps)


def _step(conn: str, words: list[str], line: int) -> Step:
    negate = words[0] == "!"
    words = words[1:] if negate else words
    exec_ = bool(words) and words[0] == "exec"
    return Step(conn, tuple(words[1:] if exec_ else words), line, negate, exec_)


def _is_server(argv) -> bool:
    return binary(argv[0]) == "python" and tuple(argv[1:3]) == SERVER_ARGS


def _check(step: Step, shell: str | None, field: str, main: bool) -> None:
    argv = list(step.argv)
    if not argv:
        raise _refuse(field, "exec needs a command")
    if shell and argv[0] == "exit":
        if len(argv) > 2 or (len(argv) == 2 and not argv[1].isdigit()):
            raise _refuse(field, "exit takes one number")
        return
    if shell and argv[0] == ":":
        return
    if _is_server(argv) and main:
        if PYTHONS.get(argv[0]) == "base":
            raise _refuse(
                field, f"{argv[0]} is the base image's Python, without the server's packages"
            )
        if len(argv) > 3:
            raise _refuse(field, "the model server reads no flags (set PORT, MODEL_FAULT_* in env)")
        if shell and not step.exec_:
            raise _refuse(
                field,
                "start the server with exec python -m orchestra_model.server, so that the "
                "server (not the shell) is PID 1 and receives SIGTERM",
            )
        return
    name = binary(argv[0])
    if name is None:
        if posixpath.basename(argv[0]) in ABSENT and not (main and shell is None):
            return  # runs, and fails as in the real image
        raise _refuse(field, f"{argv[0]!r} is not modelled")
    if name in SHELLS:
        raise _refuse(field, "a shell inside a shell is not modelled")
    try:
        commands.check(name, argv)
    except Unmodelled as err:
        raise _refuse(field, str(err)) from None


def compile(argv, field: str, main: bool = False) -> Script:
    """Check ``argv`` (an exec command, or a container's command + args when ``main``)."""
    if not isinstance(argv, list | tuple) or not argv or not all(isinstance(a, str) for a in argv):
        raise ManifestError(f"{field}: give the command as a list of strings.")
    if binary(argv[0]) in SHELLS:
        if len(argv) != 3 or argv[1] != "-c":
            raise _refuse(field, f'run the shell as {argv[0]} -c "<commands>"')
        script = Script(tuple(argv), argv[0], _parse(argv[2], field))
    else:
        script = Script(tuple(argv), None, (Step(";", tuple(argv), 1),))
    for step in script.steps:
        _check(step, script.shell, field, main)
    return script


def _not_found(shell: str, cmd: str, line: int) -> str:
    if posixpath.basename(shell) == "bash":
        why = "No such file or directory" if "/" in cmd else "command not found"
        return f"{shell}: line {line}: {cmd}: {why}\n"
    return f"{shell}: {line}: {cmd}: not found\n"  # dash


def runtime_error(cmd: str) -> str:
    """runc's reason when the command of an exec cannot be started."""
    if "/" in cmd:
        return f'exec: "{cmd}": stat {cmd}: no such file or directory'
    return f'exec: "{cmd}": executable file not found in $PATH'


def run(script: Script, files, t: float) -> Result:
    """Run ``script`` from time ``t``; its file changes are written into ``files``."""
    now, status, out = t, 0, []
    for step in script.steps:
        if (step.conn == "&&" and status != 0) or (step.conn == "||" and status == 0):
            continue
        if now == float("inf"):
            break
        argv = list(step.argv)
        if script.shell and argv[0] == "exit":
            status = int(argv[1]) if len(argv) > 1 else status
            break
        if _is_server(argv):
            return Result(status, "".join(out)[:MAX_OUTPUT], now, server_at=now)
        name = "true" if argv[0] == ":" else binary(argv[0])
        if name is None and script.shell is None:
            return Result(-1, "", now, error=runtime_error(argv[0]))
        if name is None:
            status = 127
            out.append(_not_found(script.shell, argv[0], step.line))
        else:
            done = commands.run(name, argv, files, now)
            now, status = now + done.seconds, done.code
            out.append(done.output)
        if step.negate:
            status = 0 if status else 1
        if step.exec_:
            break
    return Result(status, "".join(out)[:MAX_OUTPUT], now)
