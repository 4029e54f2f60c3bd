"""The commands of the model image the simulator runs: GNU coreutils 9.1 and Python.

Each is checked once when a manifest is applied (``check`` raises Unmodelled for a form the
simulator cannot run) and run against a container's Files at a time (``run``). Exit codes
and messages are those of Debian bookworm's coreutils, e.g. ``cat`` of a missing file
prints "cat: /tmp/healthy: No such file or directory" and exits 1; ``ls`` exits 2.
Files made here are empty; the image's own files are not read, only tested for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from helpers.sim.image import WRITABLE, normal

# "import time; time.sleep(5)": the sleep the careful manifest's preStop hook runs.
_PY_SLEEP = re.compile(r"\s*import time\s*[;\n]\s*time\.sleep\((\d+(?:\.\d+)?)\)\s*;?\s*")
SERVER_ARGS = ("-m", "orchestra_model.server")
_SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_TEST_FILE_OPS = ("-e", "-f", "-d")


class Unmodelled(Exception):
    """A command form the simulator does not run; ``str()`` says which and why."""


@dataclass(frozen=True)
class Outcome:
    """What running a command did: exit code, combined stdout and stderr, seconds taken."""

    code: int
    output: str = ""
    seconds: float = 0.0


def _sleep_seconds(args: list[str]) -> float:
    if not args:
        raise Unmodelled("sleep needs a number of seconds")
    total = 0.0
    for arg in args:
        if arg == "infinity":
            return math.inf
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", arg)
        if not m:
            raise Unmodelled(f"sleep {arg!r}: give seconds, e.g. sleep 30")
        total += float(m.group(1)) * _SLEEP_UNITS[m.group(2)]
    return total


def _test_args(name: str, args: list[str]) -> list[str]:
    if name == "[":
        if not args or args[-1] != "]":
            raise Unmodelled("[ needs its closing ]")
        args = args[:-1]
    body = args[1:] if args[:1] == ["!"] else args
    if len(body) == 2 and body[0] in _TEST_FILE_OPS:
        return args
    if (len(body) == 2 and body[0] in ("-z", "-n")) or len(body) <= 1:
        return args
    if len(body) == 3 and body[1] in ("=", "!=", "=="):
        return args
    raise Unmodelled(f"{name} {' '.join(args)}: only -e, -f, -d, -z, -n, = and != are modelled")


def check(name: str, argv: list[str]) -> None:
    """Raise Unmodelled unless the simulator runs ``argv`` (whose command is ``name``)."""
    args = argv[1:]
    if name == "sleep":
        _sleep_seconds(args)
    elif name in ("test", "["):
        _test_args(name, args)
    elif name == "python":
        if tuple(args) == SERVER_ARGS:
            raise Unmodelled("a second model server inside the container is not modelled")
        if len(args) != 2 or args[0] != "-c" or not _PY_SLEEP.fullmatch(args[1]):
            raise Unmodelled(
                'python runs only -m orchestra_model.server or -c "import time; time.sleep(N)"'
            )
    elif name in ("ls", "rm", "mkdir", "touch"):
        allowed = {"ls": "-l -a -la -al -1", "rm": "-f -r -R -rf -fr", "mkdir": "-p"}.get(name, "")
        bad = [a for a in args if a.startswith("-") and a not in allowed.split()]
        if bad:
            raise Unmodelled(f"{name} {bad[0]}: option not modelled")


def _test(name: str, args: list[str], files, t: float) -> bool:
    args = _test_args(name, args)
    negate = args[:1] == ["!"]
    body = args[1:] if negate else args
    if len(body) == 2 and body[0] in _TEST_FILE_OPS:
        kind = files.kind(body[1], t)
        ok = kind is not None if body[0] == "-e" else kind == {"-f": "file", "-d": "dir"}[body[0]]
    elif len(body) == 2:
        ok = (body[1] == "") == (body[0] == "-z")
    elif len(body) == 3:
        ok = (body[0] == body[2]) == (body[1] != "!=")
    else:
        ok = bool(body and body[0])
    return ok != negate


def _write(name: str, path: str, files, t: float, kind: str | None) -> str:
    """Why ``name`` cannot change ``path`` now ("" if it can): uid 10001 writes only /tmp."""
    full = normal(path)
    parent = normal(full + "/..")
    if files.kind(parent, t) != "dir":
        return "No such file or directory"
    if full != WRITABLE and not full.startswith(WRITABLE + "/"):
        return "Permission denied"
    files.write(t, full, kind)
    return ""


def run(name: str, argv: list[str], files, t: float) -> Outcome:
    """Run ``argv`` at ``t`` against ``files`` (changes are written at ``t``)."""
    prog, args = argv[0], argv[1:]
    if name in ("true", ":"):
        return Outcome(0)
    if name == "false":
        return Outcome(1)
    if name == "sleep":
        return Outcome(0, "", _sleep_seconds(args))
    if name == "echo":
        text = " ".join(args[1:] if args[:1] == ["-n"] else args)
        return Outcome(0, text if args[:1] == ["-n"] else text + "\n")
    if name in ("test", "["):
        return Outcome(0 if _test(name, args, files, t) else 1)
    if name == "python":
        return Outcome(0, "", float(_PY_SLEEP.fullmatch(args[1]).group(1)))
    paths = [a for a in args if not a.startswith("-")]
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    code, out = 0, []
    for p in paths:
        kind = files.kind(p, t)
        why = ""
        if name == "cat" and kind != "file":
            why = f"{prog}: {p}: {'Is a directory' if kind else 'No such file or directory'}"
        elif name == "ls":
            if kind is None:
                code, why = 2, f"{prog}: cannot access '{p}': No such file or directory"
            elif kind == "file":
                out.append(p + "\n")
        elif name == "touch" and kind is None:
            err = _write(name, p, files, t, "file")
            why = err and f"{prog}: cannot touch '{p}': {err}"
        elif name == "rm" and not (kind is None and "f" in flags):
            err = "No such file or directory" if kind is None else ""
            err = err or ("Is a directory" if kind == "dir" and "r" not in flags.lower() else "")
            err = err or _write(name, p, files, t, None)
            why = err and f"{prog}: cannot remove '{p}': {err}"
        elif name == "mkdir" and not (kind == "dir" and "p" in flags):
            err = "File exists" if kind else ""
            if not err and "p" in flags:
                parent = normal(p + "/..")
                if files.kind(parent, t) is None:
                    run(name, [prog, "-p", parent], files, t)
            err = err or _write(name, p, files, t, "dir")
            why = err and f"{prog}: cannot create directory '{p}': {err}"
        if why:
            out.append(why + "\n")
            code = code or 1
    return Outcome(code, "".join(out))
