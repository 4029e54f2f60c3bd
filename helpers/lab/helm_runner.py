"""``helpers.lab.helm("...")``: the real helm on the lab's cluster, either backend.

Helm is a client of the Kubernetes API like kubectl, so it runs the same way (see
helpers.lab.kubectl_runner): on kind against the lab cluster's kubeconfig context, on the
simulator against its served API (kubeconfig and token in a private folder, the token
blanked from every output). Helm's own state (repositories, plugins, cache) goes to a
temporary folder per command, so a lab never reads or changes the student's ~/.config/helm.
A release's history lives in the cluster, as Secrets of type ``helm.sh/release.v1``
(helm.sh/docs/topics/advanced/#storage-backends), so ``helm history`` and ``helm rollback``
see what an earlier cell or a terminal did.

In virtual time nothing moves while helm waits, so ``--wait`` and its relatives are refused
with what to use instead (``cluster.wait_rollout``); in realtime and on kind they run.

Example:
    >>> helpers.lab.helm("install model ../cluster/chart")
    >>> helpers.lab.helm("upgrade model ../cluster/chart --reuse-values --set image.tag=v2")
"""

from __future__ import annotations

import os
import tempfile

from helpers.errors import LabError, ToolMissing
from helpers.kind.tools import find_tool
from helpers.lab.kubectl_runner import (
    KubectlOutput,
    connection,
    refuse_target_flags,
    run_tool,
    split_command,
)

# Flags that would point helm at another cluster or identity than the lab's
# (helm.sh/docs/helm/helm/: the global flags).
_TARGET_FLAGS = (
    "--kubeconfig",
    "--kube-context",
    "--kube-apiserver",
    "--kube-token",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-ca-file",
    "--kube-insecure-skip-tls-verify",
    "--kube-tls-server-name",
)
# Flags that make helm wait for the cluster (helm.sh/docs/helm/helm_upgrade/).
_WAITING_FLAGS = ("--wait", "--wait-for-jobs", "--atomic", "--rollback-on-failure")
# Verbs that run pods and wait for them, or need a terminal.
_WAITING_VERBS = ("test",)


class HelmOutput(KubectlOutput):
    """What helm printed: ``text`` (stdout, then stderr), ``command``; shown as text."""


def binary() -> str | None:
    """The helm to run (./bin from ``make tools``, else PATH), or None."""
    return find_tool("helm")


def helm(command: str, cluster=None) -> HelmOutput:
    """Run a helm command (with or without the leading ``helm``) on the lab's cluster.

    Paths are the notebook's: a notebook runs in ``labs/``, so the course chart is
    ``../cluster/chart``.

    Args:
        command: helm's arguments, e.g. "install model ../cluster/chart --set replicaCount=2".
        cluster: the lab's cluster; None: the one ``helpers.lab.start`` opened.

    Returns:
        HelmOutput with what helm printed.

    Raises:
        ToolMissing: no helm binary (``make tools`` installs the pinned one in ./bin).
        CommandFailed: helm exited non-zero; the message is helm's own error.
        LabError: a flag pointing at another cluster, or (virtual time) one that waits.
    """
    from helpers.lab.session import current

    if cluster is None:
        cluster = current()
    args = split_command("helm", command)
    _refuse(args, cluster)
    tool = binary()
    if tool is None:
        raise ToolMissing(
            "helm is not installed.",
            "Run `make tools` (or `make offline-tools` without internet): it puts the "
            "course's pinned helm in ./bin.",
        )
    kubeconfig, context, secret = connection(cluster)
    target = (["--kubeconfig", kubeconfig] if kubeconfig else []) + (
        ["--kube-context", context] if context else []
    )
    with tempfile.TemporaryDirectory(prefix="orchestra-helm-") as home:
        env = {
            **os.environ,
            "HELM_CACHE_HOME": f"{home}/cache",
            "HELM_CONFIG_HOME": f"{home}/config",
            "HELM_DATA_HOME": f"{home}/data",
            # client-go's discovery cache (else ~/.kube/cache), as kubectl's --cache-dir.
            "KUBECACHEDIR": f"{home}/kube-cache",
        }
        for name in ("HELM_KUBECONTEXT", "HELM_KUBETOKEN", "HELM_KUBEAPISERVER", "HELM_DRIVER"):
            env.pop(name, None)  # the lab's cluster, with helm's default Secret storage
        printed = run_tool("helm", [tool, *args, *target], command, secret, env, _hint)
    return HelmOutput(command, printed)


def _refuse(args: list[str], cluster) -> None:
    refuse_target_flags("helm", args, _TARGET_FLAGS, "list")
    if cluster.backend != "sim" or cluster.realtime:
        return
    waits = [a for a in args if a.split("=", 1)[0] in _WAITING_FLAGS]
    if waits or args[0] in _WAITING_VERBS:
        what = waits[0] if waits else args[0]
        raise LabError(
            f"helm {args[0]} {what}: the simulated cluster runs in virtual time here, and its "
            "clock does not move while helm waits.",
            "Run the command without it, then cluster.wait_rollout(<deployment>) (it moves the "
            "clock); or run the lab in realtime (LAB_SPEED=10).",
        )


def _hint(err: str) -> str:
    """A next step for helm errors students meet in the lab (empty: helm's text says it)."""
    if "cannot re-use a name that is still in use" in err:
        return (
            "A release of that name exists: change it with helm upgrade, or remove it with "
            "helm uninstall <name> first (helm list shows the releases)."
        )
    if ("path" in err or "repo " in err) and "not found" in err:
        # "repo cluster not found": a name that is no folder here reads as <repo>/<chart>.
        return (
            "No chart at that path: the notebook runs in labs/, so the course chart is "
            "../cluster/chart (a terminal in the repository's root: cluster/chart)."
        )
    if "invalid ownership metadata" in err:
        return (
            "An object of that name exists that helm did not create (e.g. applied with "
            "kubectl): delete it, or give the release another name."
        )
    if "has no deployed releases" in err:
        return "Install it first: helm install <name> ../cluster/chart."
    return ""
