"""``helpers.lab.kubectl("...")``: a kubectl command in a notebook, on either backend.

With a kubectl binary installed (``make tools`` puts the pinned one in ./bin) the command
runs the real kubectl against the lab's cluster, the simulator's included (it serves the
Kubernetes API): see helpers.lab.kubectl_runner. Without one (a bare Binder), or with
``LAB_KUBECTL=builtin``, this module translates the commands the labs use into the helper
call that does the same and returns what that call returns (a table, a list, a revision).
It is strict rather than silently wrong: a flag it does not honour, an output form it
cannot print or a verb it does not know raises a LabError that says so.
(kubernetes.io/docs/reference/kubectl/)
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pandas as pd

from helpers.core.durations import parse_go_duration
from helpers.core.kinds import KINDS, canonical_kind
from helpers.errors import LabError
from helpers.lab import kubectl_runner
from helpers.lab.session import current

# What `kubectl get <kind>` shows for kinds the cluster API has no table for.
_TABLES = {
    "Deployment": ["name", "replicas", "ready", "updated", "available", "image"],
    "Service": ["name", "type", "selector", "port", "node_port", "endpoints"],
}


# kubectl's boolean flags: `--force orchestra-worker` leaves the node name a word.
_BOOLEAN_FLAGS = {"force", "ignore-daemonsets", "delete-emptydir-data"}
_SWITCHES = _BOOLEAN_FLAGS | {"A", "all-namespaces"}


def _split(command: str) -> tuple[list[str], dict[str, str]]:
    words, flags = [], {}
    tokens = shlex.split(command.removeprefix("kubectl ").strip())
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("-"):
            key, eq, value = tok.lstrip("-").partition("=")
            takes_value = key not in _SWITCHES
            if takes_value and not eq and i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
                value, i = tokens[i + 1], i + 1
            flags[key] = value or "true"
        else:
            words.append(tok)
        i += 1
    return words, flags


# The flags each verb honours here (short and long forms); any other flag is refused.
_NAMESPACE_FLAGS = {"n", "namespace"}
_ALLOWED = {
    "get": {"l", "selector", "A", "all-namespaces", "o", "output"} | _NAMESPACE_FLAGS,
    "rollout": {"timeout", "to-revision"} | _NAMESPACE_FLAGS,
    "set": _NAMESPACE_FLAGS,
    "delete": _NAMESPACE_FLAGS,
    "apply": {"f", "filename"},
    "scale": {"replicas"} | _NAMESPACE_FLAGS,
    "cordon": set(),
    "uncordon": set(),
    "drain": set(_BOOLEAN_FLAGS),
}


def _check_flags(verb: str, flags: dict[str, str]) -> None:
    output = flags.get("o") or flags.get("output")
    if output not in (None, "wide"):  # the tables here are wide already
        raise LabError(
            f"kubectl {verb} -o {output}: this notebook's kubectl (no kubectl binary is "
            "installed) prints tables only.",
            "Install the real kubectl (make tools) and run the cell again, or use "
            'cluster.get(kind, name) for the whole object, e.g. cluster.get("pod", name).',
        )
    unknown = sorted(set(flags) - _ALLOWED[verb])
    if unknown:
        dash = "-" if len(unknown[0]) == 1 else "--"
        raise LabError(
            f"kubectl {verb} {dash}{unknown[0]}: this notebook's kubectl (no kubectl binary is "
            "installed) does not honour that flag.",
            "Install the real kubectl (make tools) and run the cell again, or drop the flag.",
        )


def _namespace(flags: dict[str, str]) -> str | None:
    """-n/--namespace, or None for -A/--all-namespaces; default "default"."""
    if _flag(flags, "A") or _flag(flags, "all-namespaces"):
        return None
    return flags.get("n") or flags.get("namespace") or "default"


def _flag(flags: dict[str, str], name: str) -> bool:
    """A boolean kubectl flag: --name or --name=true."""
    return flags.get(name, "false").lower() == "true"


def _target(args: list[str], default_kind: str) -> tuple[tuple[str, str], list[str]]:
    """((kind, name), the words after) from kubectl's two forms: ``deployment/model`` and
    ``deployment model``; a bare name takes ``default_kind``."""
    kind, slash, name = args[0].partition("/")
    if slash:
        return (kind, name), args[1:]
    if len(args) > 1 and _is_kind(args[0]):
        return (args[0], args[1]), args[2:]
    return (default_kind, args[0]), args[1:]


def _is_kind(word: str) -> bool:
    return canonical_kind(word) in KINDS


def _get(cluster, args: list[str], flags: dict[str, str]):
    what = canonical_kind(args[0]) if args else ""
    selector = flags.get("l") or flags.get("selector")
    namespace = _namespace(flags)
    if what == "Pod" and len(args) == 1:
        return cluster.pods(selector, namespace=namespace)
    if namespace != "default" and what not in ("Node", "Event"):
        raise LabError(
            f"kubectl get {args[0]} -n/-A: this notebook's kubectl lists other namespaces "
            "for pods only.",
            "Install the real kubectl (make tools), or use cluster.list_objects(kind, namespace).",
        )
    if what == "Node" and len(args) == 1:
        return cluster.nodes()
    if what == "Event":
        return cluster.events()
    if what == "ReplicaSet":
        return _replicasets(cluster, selector)
    if what in _TABLES:
        rows = cluster.snapshot()[KINDS[what].plural]
        if len(args) > 1:
            rows = [r for r in rows if r["name"] == args[1]]
        columns = _TABLES[what]
        return pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)
    if len(args) >= 2:
        return cluster.get(args[0], args[1], namespace)
    raise LabError(f"kubectl get {what}: not supported here.", "Try get pods, nodes, events.")


def _replicasets(cluster, selector) -> pd.DataFrame:
    rows = []
    for rs in cluster.list_objects("ReplicaSet", "default", selector):
        meta, status = rs["metadata"], rs.get("status") or {}
        rows.append(
            {
                "name": meta["name"],
                "desired": rs["spec"].get("replicas", 0),
                "ready": status.get("readyReplicas", 0) or 0,
                "image": rs["spec"]["template"]["spec"]["containers"][0]["image"],
                "revision": meta.get("annotations", {}).get("deployment.kubernetes.io/revision"),
            }
        )
    columns = ["name", "desired", "ready", "image", "revision"]
    return pd.DataFrame(sorted(rows, key=lambda r: r["name"]), columns=columns)


def _timeout(flags: dict[str, str]) -> float:
    """--timeout as kubectl reads it: a Go duration ("300s", "5m"); 0 means no limit."""
    text = flags.get("timeout", "300s")  # the kit's bound on a lab's wait
    try:
        seconds = parse_go_duration(text)
    except ValueError:
        raise LabError(
            f"kubectl rollout status --timeout={text}: not a duration.",
            "Give a Go duration such as --timeout=90s or --timeout=5m.",
        ) from None
    # kubectl waits without limit at 0; a day of cluster time stands in for "forever".
    return seconds if seconds > 0 else 86400.0


def _rollout(cluster, args: list[str], flags: dict[str, str]):
    verb, ((_, name), _) = args[0], _target(args[1:], "deployment")
    if verb == "status":
        return cluster.wait_rollout(name, timeout=_timeout(flags))
    if verb == "undo":
        revision = flags.get("to-revision")
        return cluster.rollout_undo(name, int(revision) if revision else None)
    if verb == "history":
        rows = [
            {
                "revision": rev,
                "replicaset": rs["metadata"]["name"],
                "image": rs["spec"]["template"]["spec"]["containers"][0]["image"],
            }
            for rev, rs in cluster.revisions(name).items()
        ]
        return pd.DataFrame(rows, columns=["revision", "replicaset", "image"])
    raise LabError(f"kubectl rollout {verb}: not supported here.", "Use status, undo or history.")


def _set(cluster, args: list[str], flags: dict[str, str]):
    if args[0] != "image":
        raise LabError(f"kubectl set {args[0]}: not supported here.", "Use kubectl set image.")
    (_, name), pairs = _target(args[1:], "deployment")
    for pair in pairs:
        container, _, image = pair.partition("=")
        cluster.set_image(name, image, container=None if container == "*" else container)
    return None


def _delete(cluster, args: list[str], flags: dict[str, str]):
    (kind, name), _ = _target(args, "")
    if not kind:
        raise ValueError("kubectl delete needs a kind: delete pod <name>")
    cluster.delete(kind, name, _namespace(flags) or "default")


_VERBS: dict[str, Callable] = {
    "get": _get,
    "rollout": _rollout,
    "set": _set,
    "delete": _delete,
    "apply": lambda c, a, f: c.apply(f.get("f") or f["filename"]),
    "scale": lambda c, a, f: c.scale(
        _target(a, "deployment")[0][1], int(f["replicas"]), _namespace(f) or "default"
    ),
    "cordon": lambda c, a, f: c.cordon(a[0]),
    "uncordon": lambda c, a, f: c.uncordon(a[0]),
    "drain": lambda c, a, f: c.drain(
        a[0],
        force=_flag(f, "force"),
        ignore_daemonsets=_flag(f, "ignore-daemonsets"),
        delete_emptydir_data=_flag(f, "delete-emptydir-data"),
    ),
}


def kubectl(command: str, cluster=None):
    """Run a kubectl command on the lab's cluster (the session's, or ``cluster``).

    With a kubectl binary (./bin or PATH): the real kubectl, on either backend; returns a
    ``KubectlOutput`` (what it printed, shown as text). See helpers.lab.kubectl_runner.

    Without one, or with ``LAB_KUBECTL=builtin``: the command's helper call, returning
    what it returns (a DataFrame for get). Knows: get (pods, nodes, events, replicasets,
    deployments, services, or kind and name; -l, -n/-A for pods, -o wide), apply -f, scale,
    set image, rollout status|undo|history, delete, cordon, uncordon, drain.

    Raises:
        CommandFailed: the real kubectl exited non-zero (its own error text).
        LabError: a command or flag that cannot run here, said so (never ignored).

    Example:
        >>> helpers.lab.kubectl("scale deployment/model --replicas=5")
        >>> helpers.lab.kubectl("get pods -l app=model")
    """
    if cluster is None:
        cluster = current()
    real = kubectl_runner.binary()
    if real is not None:
        return kubectl_runner.run(real, command, cluster)
    words, flags = _split(command)
    if not words or words[0] not in _VERBS:
        raise LabError(
            f"kubectl {command!r}: this notebook kubectl knows {', '.join(sorted(_VERBS))}.",
            "On a real cluster, run any command in a terminal: kubectl " + command,
        )
    _check_flags(words[0], flags)
    try:
        return _VERBS[words[0]](cluster, words[1:], flags)
    except (IndexError, KeyError, ValueError):
        raise LabError(
            f"kubectl {command}: missing or malformed argument.",
            "Write it as in the docs, e.g. kubectl scale deployment/model --replicas=5.",
        ) from None
