"""``helpers.lab.kubectl("...")`` with the real kubectl: the lab's cluster, any command.

When a kubectl binary is installed (``./bin`` from ``make tools``, or on PATH), a notebook's
kubectl commands run the real thing, so a student reads exactly what a terminal prints:

- on kind (or any kubeconfig context), against the lab cluster's context;
- on the simulator, against its Kubernetes API server (helpers.sim.httpapi), which the
  cluster starts on 127.0.0.1 the first time it is needed, with a kubeconfig and token in
  a private temporary folder (mode 0700) that no output shows.

The simulator's API server prints tables itself (kubectl asks for the server's Table), so
an AGE column counts in cluster time, and a virtual-time run prints the same every time.
In virtual time nothing moves while kubectl waits, so ``rollout status`` first lets the
cluster run until the rollout ends (as ``cluster.wait_rollout`` does) and then asks
kubectl, and ``wait`` is refused with the helper to use instead. Commands that stream
until stopped (``--watch``, ``logs -f``) and interactive ones (``edit``, ``exec``,
``port-forward``, ``proxy``) belong in a terminal and are refused on both backends.

A terminal shares the notebook's cluster: with ``LAB_SIM_KUBECONFIG`` set (``make lab``
sets it to ``.sim/kubeconfig`` in the repository), ``helpers.lab.start`` serves the
simulated cluster's API at once and writes its kubeconfig there, so after ``export
KUBECONFIG=.sim/kubeconfig`` a terminal's ``kubectl get pods --watch`` shows the pods the
notebook's ClusterView shows, moving with the lab's realtime clock (in virtual time, it
sees time jump when a cell moves the clock). The last lab started owns the file.

A failure is raised as ``CommandFailed`` with kubectl's own error text; the bearer token is
blanked from every output, whatever the command (``config view --raw``).
(kubernetes.io/docs/reference/kubectl/)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path

from helpers.core.durations import parse_go_duration
from helpers.errors import CommandFailed, LabError
from helpers.kind.tools import find_tool

# Where the simulator's kubeconfig goes for a terminal to read (make lab sets it).
SHARED_ENV = "LAB_SIM_KUBECONFIG"
# Set LAB_KUBECTL=builtin to use the notebook's own translation even with kubectl installed.
KUBECTL_ENV = "LAB_KUBECTL"
BUILTIN = "builtin"
# The kit's bound on one command (a rollout status waits at most 300 s by default).
TIMEOUT_S = 330.0
# Flags that would point kubectl at another cluster or identity than the lab's.
_TARGET_FLAGS = ("--kubeconfig", "--context", "--cluster", "--user", "--server", "-s", "--token")
_TERMINAL_ONLY = {"edit", "exec", "attach", "port-forward", "proxy", "debug", "cp"}
_STREAMING_FLAGS = ("-w", "--watch", "--watch-only")  # and logs' -f, --follow

# The simulated cluster whose API server kubectl talks to (a weak reference) and its
# server; a kernel has one lab cluster at a time, so serving another closes this one.
_served: list = [None, None, None]  # [weakref to the cluster, ApiHandle, its folder]


class KubectlOutput:
    """What kubectl printed: ``text`` (stdout, then stderr), ``command``; shown as text.

    ``lines()`` gives the lines, ``str(out)`` the text.
    """

    def __init__(self, command: str, text: str):
        self.command, self.text = command, text

    def lines(self) -> list[str]:
        """The output's lines, without the trailing newline."""
        return self.text.splitlines()

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text.rstrip("\n") or "(no output)"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def binary() -> str | None:
    """The kubectl to run, or None: none installed, or ``LAB_KUBECTL=builtin``."""
    if os.environ.get(KUBECTL_ENV, "").strip().lower() == BUILTIN:
        return None
    return find_tool("kubectl")


def run(kubectl: str, command: str, cluster) -> KubectlOutput:
    """Run ``command`` (kubectl's arguments, with or without the leading ``kubectl``).

    Args:
        kubectl: the binary's path.
        command: e.g. "get pods -o wide", "scale deployment/model --replicas=5".
        cluster: the lab's cluster (SimCluster or KubeCluster).

    Returns:
        KubectlOutput with what kubectl printed (stdout, then stderr).

    Raises:
        CommandFailed: kubectl exited non-zero; ``what`` is its error text.
        LabError: a flag that points at another cluster, a command that needs a terminal,
            one that streams until stopped, or (virtual time) ``wait``.
    """
    args = split_command("kubectl", command)
    _refuse(args, cluster)
    with tempfile.TemporaryDirectory(prefix="orchestra-kubectl-") as cache:
        target, secret = _target(cluster)
        if cluster.backend == "sim" and not cluster.realtime and args[:2] == ["rollout", "status"]:
            _run_rollout(cluster, args)
        printed = run_tool(
            "kubectl",
            # The lab's flags after the verb: before it kubectl would read a mistyped verb
            # as a plugin's name; before any "--" they stay kubectl's own.
            [kubectl, args[0], *target, "--cache-dir", cache, *args[1:]],
            command,
            secret,
        )
    # As a terminal shows it: "No resources found in kube-system namespace." and warnings
    # go to stderr; they follow the output here.
    return KubectlOutput(command, printed)


def split_command(tool: str, command: str) -> list[str]:
    """A notebook's command line as arguments, without a leading ``tool`` (LabError if the
    quoting is broken)."""
    try:
        args = shlex.split(command.strip())
    except ValueError as err:
        raise LabError(f"{tool} {command}: {err}.", "Close the quote and run it again.") from None
    return args[1:] if args[:1] == [tool] else args


def run_tool(tool: str, argv: list[str], command: str, secret: str, env=None, hint=None) -> str:
    """Run kubectl or helm (``argv``) and return what it printed, stdout then stderr, with
    the cluster's token blanked.

    Raises:
        CommandFailed: no answer within TIMEOUT_S, or a non-zero exit (its error text as
            ``what``; ``hint(stderr)`` gives the next step, else "fix the command").
    """
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CommandFailed(
            f"{tool} {command}: no answer within {TIMEOUT_S:.0f} s.",
            hint="Give it a --timeout, or run it in a terminal.",
        ) from None
    out, err = (blank(t, secret) for t in (done.stdout, done.stderr))
    if done.returncode != 0:
        raise CommandFailed(
            err.strip() or out.strip() or f"exit status {done.returncode}",
            output=out,
            hint=(hint(err) if hint else "")
            or f"That is {tool}'s own error: fix the command and run it again.",
        )
    return out + err


def refuse_target_flags(tool: str, args: list[str], flags, example: str) -> None:
    """LabError for an empty command or a flag in ``flags`` that points at another cluster:
    the notebook's tools always talk to the lab's cluster."""
    if not args:
        raise LabError(f"{tool} needs a command.", f'e.g. helpers.lab.{tool}("{example}")')
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag in flags:
            raise LabError(
                f"{tool} {flag}: the notebook's {tool} always talks to the lab's cluster.",
                f"Drop the flag; for another cluster, run {tool} in a terminal.",
            )


def _refuse(args: list[str], cluster) -> None:
    refuse_target_flags("kubectl", args, _TARGET_FLAGS, "get pods")
    if args[0] in _TERMINAL_ONLY:
        raise LabError(
            f"kubectl {args[0]} is interactive: it needs a terminal, not a notebook cell.",
            f"Open a terminal (File > New > Terminal) and run kubectl {args[0]} there.",
        )
    streaming = _STREAMING_FLAGS + (("-f", "--follow") if args[0] == "logs" else ())
    streams = [a for a in args if a.split("=", 1)[0] in streaming]
    if streams:
        raise LabError(
            f"kubectl {args[0]} {streams[0]} streams until it is stopped: a notebook cell "
            "running it would never end.",
            "Watch with a ClusterView in the notebook (helpers.views), or run the command in a "
            "terminal (File > New > Terminal).",
        )
    if args[0] == "wait" and cluster.backend == "sim" and not cluster.realtime:
        raise LabError(
            "kubectl wait: the simulated cluster runs in virtual time here, and its clock "
            "does not move while kubectl waits.",
            "Use cluster.wait(...) or cluster.wait_rollout(name), which move the clock, or run "
            "the lab in realtime (helpers.lab.start(..., speed=10) or LAB_SPEED=10).",
        )


def _run_rollout(cluster, args: list[str]) -> None:
    """Virtual time: let the cluster run until the rollout ends, as kubectl would wait."""
    names = [a for a in args[2:] if not a.startswith("-")]
    timeout = "300s"
    for i, arg in enumerate(args):
        if arg.startswith("--timeout="):
            timeout = arg.split("=", 1)[1]
        elif arg == "--timeout" and i + 1 < len(args):
            timeout = args[i + 1]
    names = [a for a in names if a != timeout]
    ref = "/".join(names)
    kind, _, name = ref.rpartition("/")
    try:
        seconds = parse_go_duration(timeout) or 86400.0
    except ValueError:
        return  # kubectl names the malformed flag itself
    if kind.lower() in ("deployment", "deployments", "deploy", "deployment.apps") and name:
        # Not found, stuck or timed out: kubectl then says which, in its own words.
        with contextlib.suppress(LabError):
            cluster.wait_rollout(name, timeout=seconds)


def connection(cluster) -> tuple[str | None, str | None, str | None]:
    """(kubeconfig path, context, token to blank from outputs) that reach ``cluster``.

    kind or any kubeconfig context: the cluster's kubeconfig (None: the default one) and
    its context, no token to blank (it stays in the kubeconfig). The simulator: the
    kubeconfig of its served API (started on first use) and the bearer token in it.
    """
    if cluster.backend == "kube":
        kubeconfig = getattr(cluster, "kubeconfig", None)
        return (str(kubeconfig) if kubeconfig else None), cluster.name, None
    handle = served(cluster)
    return str(handle.kubeconfig), None, handle.token


def _target(cluster) -> tuple[list[str], str | None]:
    """kubectl's flags for the lab's cluster, and the token to blank from outputs."""
    kubeconfig, context, secret = connection(cluster)
    flags = ["--kubeconfig", kubeconfig] if kubeconfig else []
    return [*flags, *(["--context", context] if context else [])], secret


def served(cluster):
    """The ApiHandle serving ``cluster`` (a SimCluster), started on first use.

    Its kubeconfig goes to ``$LAB_SIM_KUBECONFIG`` when set (``make lab`` sets it, so a
    terminal's kubectl can read the notebook's cluster), else to a private temporary folder.
    """
    ref, handle, folder = _served
    if ref is not None and ref() is cluster:
        return handle
    close()
    shared = os.environ.get(SHARED_ENV, "").strip()
    if shared:
        path = Path(shared).expanduser().resolve()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = None  # a file others read: removed on close only while it is still ours
    else:
        folder = Path(tempfile.mkdtemp(prefix="orchestra-sim-api-"))  # mode 0700
        path = folder / "kubeconfig"
    handle = cluster.serve_api(kubeconfig=path)
    _served[:] = [weakref.ref(cluster), handle, folder]
    return handle


def shared_kubeconfig(cluster) -> Path | None:
    """With ``$LAB_SIM_KUBECONFIG`` set and ``cluster`` simulated: serve its API now and
    return the kubeconfig a terminal's kubectl reads (``export KUBECONFIG=<it>``); else
    None. The last lab started in any kernel owns the file."""
    if cluster.backend != "sim" or not os.environ.get(SHARED_ENV, "").strip():
        return None
    return Path(served(cluster).kubeconfig)


def close() -> None:
    """Stop the simulator's API server started for kubectl, and delete its kubeconfig."""
    _, handle, folder = _served
    if handle is not None:
        handle.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        else:  # the shared file, unless a newer kernel's server wrote it since
            path = Path(handle.kubeconfig)
            with contextlib.suppress(OSError):
                if handle.url in path.read_text():
                    path.unlink()
    _served[:] = [None, None, None]


atexit.register(close)


def blank(text: str, secret: str | None) -> str:
    """``text`` with the bearer token ``secret`` replaced by REDACTED."""
    return text.replace(secret, "REDACTED") if secret else text
