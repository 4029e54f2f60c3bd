"""Checks on declared state: a manifest file a student edits, and whether it is applied.

"Keep the truth in files and apply them": an exercise that asks for the declarative way
reads the student's file (is the right value in it?) and the cluster (is it what applying
the file gives? the API server's dry run of the file must change nothing), so a change made
by command while the file says otherwise fails: the next apply of the file would undo it.
(kubernetes.io/docs/concepts/overview/working-with-objects/object-management/)
"""

from __future__ import annotations

from pathlib import Path

from helpers.checks.result import Verdict
from helpers.core import manifests
from helpers.core.paths import shown
from helpers.errors import ManifestError


def apply_hint(path: Path) -> str:
    """The apply command for ``path``, both ways."""
    return f'cluster.apply("{shown(path)}") (kubectl apply -f {shown(path)})'


def declared(path: Path, kind: str, name: str) -> tuple[dict | None, Verdict | None]:
    """(the object ``kind``/``name`` in the file, or None with the Verdict saying why)."""
    try:
        docs = manifests.load(path)
    except ManifestError as err:
        # Unreadable YAML or a refused object: either way, applying the file fails.
        return None, Verdict(False, f"{shown(path)} does not apply: {err.what}",
                             f"Fix the file and save it. {err.hint}".strip())  # fmt: skip
    mine = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    if not mine:
        return None, Verdict(False, f"{shown(path)} has no {kind.lower()}/{name}",
                             f"Edit the copy of the course's manifest in {shown(path)}.")  # fmt: skip
    return mine[0], None


def applied(cluster, path: Path, doc: dict, seen: str) -> Verdict | None:
    """None when the cluster is what applying ``doc`` gives (no spec change), else why not."""
    try:
        live, merged = cluster.dry_run_apply(doc)[0]
    except ManifestError as err:
        return Verdict(False, f"the API server refuses {shown(path)}: {err.what}",
                       f"Fix the file and save it. {err.hint}".strip())  # fmt: skip
    # Never applied, or applied and then changed by command: either way the next apply
    # of the file would change the cluster.
    if live is None or live.get("spec") != merged.get("spec"):
        differs = (
            "its object is not in the cluster"
            if live is None
            else "the cluster differs from the file"
        )
        return Verdict(False, f"{seen}, but {differs}",
                       f"Apply the file: {apply_hint(path)}; cluster.diff(\"{shown(path)}\") "
                       f"(kubectl diff -f {shown(path)}) shows what that changes.")  # fmt: skip
    return None
