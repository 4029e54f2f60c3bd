"""``helpers.lab.kubectl("...")``: type a kubectl command, run it through the cluster API.

The labs teach kubectl, but a notebook must run unchanged on the simulator, where no
kubectl exists. This translates the handful of commands the labs use into the helper call
that does the same, and returns what that call returns (a table, a list, a revision).
Anything else raises a LabError naming the commands it knows.
(kubernetes.io/docs/reference/kubectl/)
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pandas as pd

from helpers.core.durations import parse_go_duration
from helpers.core.kinds import KINDS, canonical_kind
from helpers.errors import LabError
from helpers.lab.session import current

# What `kubectl get <kind>` shows for kinds the cluster API has no table for.
_TABLES = {
    "Deployment": ["name", "replicas", "ready", "updated", "available", "image"],
    "Service": ["name", "type", "selector", "port", "node_port", "endpoints"],
}


# kubectl's boolean flags: `--force orchestra-worker` leaves the node name a word.
_BOOLEAN_FLAGS = {"force", "ignore-daemonsets", "delete-emptydir-data"}


def _split(command: str) -> tuple[list[str], dict[str, str]]:
    words, flags = [], {}
    tokens = shlex.split(command.removeprefix("kubectl ").strip())
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("-"):
            key, eq, value = tok.lstrip("-").partition("=")
            takes_value = key not in _BOOLEAN_FLAGS
            if takes_value and not eq and i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
                value, i = tokens[i + 1], i + 1
            flags[key] = value or "true"
        else:
            words.append(tok)
        i += 1
    return words, flags


def _flag(flags: dict[str, str], name: str) -> bool:
    """A boolean kubectl flag: --name or --name=true."""
    return flags.get(name, "false").lower() == "true"


def _target(ref: str, default_kind: str) -> tuple[str, str]:
    kind, slash, name = ref.partition("/")
    return (kind, name) if slash else (default_kind, ref)


def _get(cluster, args: list[str], flags: dict[str, str]):
    what = canonical_kind(args[0]) if args else ""
    selector = flags.get("l") or flags.get("selector")
    if what == "Pod" and len(args) == 1:
        return cluster.pods(selector)
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
        return cluster.get(args[0], args[1])
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
    verb, (_, name) = args[0], _target(args[1], "deployment")
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
    _, name = _target(args[1], "deployment")
    for pair in args[2:]:
        container, _, image = pair.partition("=")
        cluster.set_image(name, image, container=None if container == "*" else container)
    return None


def _delete(cluster, args: list[str], flags: dict[str, str]):
    kind, name = _target(args[0], "") if "/" in args[0] else (args[0], args[1])
    cluster.delete(kind, name)


_VERBS: dict[str, Callable] = {
    "get": _get,
    "rollout": _rollout,
    "set": _set,
    "delete": _delete,
    "apply": lambda c, a, f: c.apply(f["f"]),
    "scale": lambda c, a, f: c.scale(_target(a[0], "deployment")[1], int(f["replicas"])),
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
    """Run a kubectl command through the helpers; returns what the helper returns.

    Knows: get (pods, nodes, events, deployments, services, or kind name), apply -f,
    scale, set image, rollout status|undo|history, delete, cordon, uncordon, drain.

    Example:
        >>> helpers.lab.kubectl("scale deployment/model --replicas=5")
        >>> helpers.lab.kubectl("get pods -l app=model")
    """
    if cluster is None:
        cluster = current()
    words, flags = _split(command)
    if not words or words[0] not in _VERBS:
        raise LabError(
            f"kubectl {command!r}: this notebook kubectl knows {', '.join(sorted(_VERBS))}.",
            "On a real cluster, run any command in a terminal: kubectl " + command,
        )
    try:
        return _VERBS[words[0]](cluster, words[1:], flags)
    except (IndexError, KeyError, ValueError):
        raise LabError(
            f"kubectl {command}: missing or malformed argument.",
            "Write it as in the docs, e.g. kubectl scale deployment/model --replicas=5.",
        ) from None
