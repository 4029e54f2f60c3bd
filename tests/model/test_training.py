"""Training: deterministic bytes, v2 better than v1, v3 refused by its hash, sample rows."""

from __future__ import annotations

import json

import pytest
from orchestra_model import artifacts, data, evaluate, train


def test_artifacts_are_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for version in ("v1", "v2", "v3"):
        a = artifacts.ensure(version, first).read_bytes()
        train.data.split.cache_clear()  # retrain from a fresh split, not the cached arrays
        b = artifacts.ensure(version, second).read_bytes()
        assert a == b, f"{version} differs between two trainings"


def test_v2_is_measurably_better_than_v1(artifact_root):
    v1 = evaluate.accuracy("v1", artifact_root)
    v2 = evaluate.accuracy("v2", artifact_root)
    assert 0.85 < v1 < v2
    assert v2 - v1 > 0.03  # measurably: more than 13 of the 450 held-out digits
    assert v2 > 0.95


def test_artifact_records_version_and_a_verifiable_sha256(artifact_root):
    doc = json.loads(artifacts.path_for("v1", artifact_root).read_bytes())
    assert doc["version"] == "v1"
    assert doc["sha256"] == artifacts.canonical_sha256(doc["payload"])
    assert artifacts.load("v1", artifact_root).sha256 == doc["sha256"]


def test_v3_fails_its_integrity_check_with_a_clear_message(artifact_root):
    with pytest.raises(artifacts.ArtifactError, match=r"integrity check.*rollout undo"):
        artifacts.load("v3", artifact_root)
    with pytest.raises(artifacts.ArtifactError):
        evaluate.accuracy("v3", artifact_root)


def test_tampering_with_any_artifact_is_detected(artifact_root, tmp_path):
    path = artifacts.path_for("v1", tmp_path)
    doc = json.loads(artifacts.path_for("v1", artifact_root).read_bytes())
    doc["payload"]["intercept"][3] += 1e-6
    path.write_text(json.dumps(doc))
    with pytest.raises(artifacts.ArtifactError, match="integrity"):
        artifacts.load("v1", tmp_path)


@pytest.mark.parametrize(
    "content, match",
    [(None, "no artifact"), ("{not json", "unreadable"), ('{"format": "x"}', "not an")],
)
def test_missing_or_garbled_files_raise_artifact_error(tmp_path, content, match):
    if content is not None:
        artifacts.path_for("v2", tmp_path).write_text(content)
    with pytest.raises(artifacts.ArtifactError, match=match):
        artifacts.load("v2", tmp_path)


def test_unknown_version_is_refused(tmp_path):
    with pytest.raises(artifacts.ArtifactError, match="unknown model version"):
        artifacts.ensure("v9", tmp_path)


def test_default_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(artifacts.ENV_ROOT, str(tmp_path))
    assert artifacts.path_for("v1") == tmp_path / "model-v1.json"


def test_sample_rows_are_valid_and_deterministic():
    rows = data.sample_rows(5, seed=1)
    assert rows == data.sample_rows(5, seed=1)
    assert rows != data.sample_rows(5, seed=2)
    assert all(len(r) == data.N_FEATURES for r in rows)
    assert all(0 <= v <= 16 for r in rows for v in r)
    assert data.sample_rows(0) == []


def test_model_predicts_labels_from_rows(artifact_root):
    model = artifacts.load("v2", artifact_root)
    _, x_test, _, y_test = data.split()
    assert model.predict(x_test[:5].tolist()) == y_test[:5].tolist()
    with pytest.raises(ValueError, match="64 numbers"):
        model.predict([[1.0, 2.0]])
