"""helpers.connect(context=...) on a second kubeconfig context, as a class on a managed
cluster uses it: the context is picked by name, not by the current-context, and a wrong or
dead context fails with the kubeconfig's words and what to do.
(https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/)

The second context points at the kind cluster under another name, with its own default
namespace, beside a current-context whose server does not answer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import helpers
from helpers.connect import KIND_CONTEXT
from helpers.errors import ClusterUnavailable
from helpers.kube.config import kubeconfig_paths, probe

SECOND = "classroom-cloud"


@pytest.fixture
def second_context(kube, namespace, tmp_path, monkeypatch):
    """A kubeconfig of three contexts: the kind cluster's, a second name for it (default
    namespace ``namespace``), and a dead current-context. Set as $KUBECONFIG."""
    docs = [yaml.safe_load(p.read_text()) for p in kubeconfig_paths() if p.exists()]
    contexts = [c for d in docs for c in d.get("contexts") or []]
    kind = next(c for c in contexts if c["name"] == KIND_CONTEXT)["context"]
    clusters = [c for d in docs for c in d.get("clusters") or []]
    users = [u for d in docs for u in d.get("users") or []]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [c for c in clusters if c["name"] == kind["cluster"]]
        + [{"name": "gone", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [u for u in users if u["name"] == kind["user"]],
        "contexts": [
            {"name": KIND_CONTEXT, "context": kind},
            {"name": SECOND, "context": {**kind, "namespace": namespace}},
            {"name": "gone", "context": {"cluster": "gone", "user": kind["user"]}},
        ],
        "current-context": "gone",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    os.chmod(path, 0o600)
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


def test_connect_picks_the_named_context_not_the_current_one(second_context: Path):
    assert probe(SECOND, timeout=5.0)[0]
    assert not probe("gone", timeout=2.0)[0]
    cluster = helpers.connect(context=SECOND)
    try:
        assert not cluster.simulated
        assert cluster.choice.context == SECOND
        nodes = cluster.nodes()
        assert sorted(nodes["role"]) == ["control-plane", "worker", "worker"]
    finally:
        cluster.close()


def test_a_missing_context_names_the_ones_there(second_context: Path):
    with pytest.raises(ClusterUnavailable) as err:
        helpers.connect(context="no-such-context").nodes()
    assert "no context 'no-such-context'" in str(err.value)
    assert SECOND in str(err.value)
