"""Model artifacts: plain JSON files of weights that carry their version and sha256.

A file holds `{"format", "version", "sha256", "payload"}`; `sha256` is the digest of the
payload's canonical JSON. `load` recomputes it, so a file changed after release fails
loudly instead of serving wrong answers. The v3 release is written exactly that way: the
v2 weights, hashed, then one weight altered, as a bad copy or a bad disk would.

Run as `python -m orchestra_model.artifacts --root DIR v1 v2 v3` to build files (the
image's build stage does this).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orchestra_model import VERSIONS
from orchestra_model.data import N_FEATURES

FORMAT = "orchestra-model/1"
ENV_ROOT = "ORCHESTRA_ARTIFACTS"


class ArtifactError(Exception):
    """An artifact is missing, unreadable or fails its integrity check."""


@dataclass(frozen=True, eq=False)
class Model:
    """A loaded, hash-verified linear model: scores = ((x - mean) / scale) @ coef.T + b."""

    version: str
    sha256: str
    classes: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def __post_init__(self) -> None:
        # Fold the scaler into the weights once: ((x - m) / s) @ C.T + b equals
        # x @ (C / s).T + (b - (m / s) @ C.T), one matrix product per request.
        weights = (self.coef / self.scale).T
        object.__setattr__(self, "_weights", np.ascontiguousarray(weights))
        object.__setattr__(self, "_bias", self.intercept - (self.mean / self.scale) @ self.coef.T)

    def predict(self, rows: list[list[float]]) -> list[int]:
        """Predict one label per row.

        Example:
            >>> load("v1").predict([[0.0] * 64])  # doctest: +SKIP
            [1]
        """
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != N_FEATURES:
            raise ValueError(f"rows must be a list of rows of {N_FEATURES} numbers")
        # Huge finite inputs may overflow to inf; argmax still returns a valid class.
        with np.errstate(all="ignore"):
            scores = x @ self._weights + self._bias
        return self.classes[np.argmax(scores, axis=1)].tolist()


def default_root() -> Path:
    """`$ORCHESTRA_ARTIFACTS`, else `~/.cache/orchestra/artifacts`."""
    env = os.environ.get(ENV_ROOT)
    return Path(env) if env else Path.home() / ".cache" / "orchestra" / "artifacts"


def path_for(version: str, root: Path | None = None) -> Path:
    """Where the artifact of `version` lives under `root`."""
    _check_version(version)
    return Path(root or default_root()) / f"model-{version}.json"


def _check_version(version: str) -> None:
    if version not in VERSIONS:
        raise ArtifactError(f"unknown model version {version!r}; choose one of {VERSIONS}")


def canonical_sha256(payload: dict[str, Any]) -> str:
    """sha256 of the payload's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _render(version: str, params: dict[str, Any]) -> bytes:
    payload = dict(params)
    digest = canonical_sha256(payload)
    if version == "v3":
        # The broken release: altered after hashing, so its recorded sha256 is stale.
        payload["coef"] = [list(row) for row in payload["coef"]]
        payload["coef"][0][0] += 1.0
    doc = {"format": FORMAT, "version": version, "sha256": digest, "payload": payload}
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode()


def ensure(version: str, root: Path | None = None) -> Path:
    """Train and write the artifact of `version` unless it exists; return its path.

    Example:
        >>> ensure("v1").name
        'model-v1.json'
    """
    path = path_for(version, root)
    if path.exists():
        return path
    from orchestra_model import train  # scikit-learn: only where training happens

    body = _render(version, train.fit(version))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: concurrent ensure() calls never see a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(body)
    # mkstemp makes 0600; artifacts are read by other users (the image's uid 10001).
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def load(version: str, root: Path | None = None) -> Model:
    """Read, verify and return the model of `version`.

    Raises:
        ArtifactError: missing file, bad JSON, wrong version or a sha256 mismatch.

    Example:
        >>> load("v2").version  # doctest: +SKIP
        'v2'
    """
    path = path_for(version, root)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ArtifactError(
            f"no artifact for {version} at {path}; build it with "
            f"`python -m orchestra_model.artifacts --root {path.parent} {version}`"
        ) from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"artifact {path} is unreadable: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ArtifactError(f"artifact {path} is not an {FORMAT} file")
    if doc.get("version") != version:
        raise ArtifactError(f"artifact {path} holds {doc.get('version')!r}, not {version!r}")
    payload = doc.get("payload")
    actual = canonical_sha256(payload) if isinstance(payload, dict) else "<no payload>"
    if actual != doc.get("sha256"):
        raise ArtifactError(
            f"artifact {version} at {path} fails its integrity check: recorded sha256 "
            f"{doc.get('sha256')}, content {actual}. The file is corrupt; do not serve it. "
            "Roll back: kubectl rollout undo deployment/model"
        )
    try:
        model = Model(
            version=version,
            sha256=actual,
            classes=np.asarray(payload["classes"]),
            mean=np.asarray(payload["mean"], dtype=np.float64),
            scale=np.asarray(payload["scale"], dtype=np.float64),
            coef=np.asarray(payload["coef"], dtype=np.float64),
            intercept=np.asarray(payload["intercept"], dtype=np.float64),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"artifact {path} lacks a field or has a bad one: {exc}") from exc
    n_classes = len(model.classes)
    if model.coef.shape != (n_classes, N_FEATURES) or model.intercept.shape != (n_classes,):
        raise ArtifactError(f"artifact {path} has weights of the wrong shape")
    return model


def main(argv: list[str] | None = None) -> int:
    """Build artifacts from the command line."""
    parser = argparse.ArgumentParser(description="Train and write model artifacts.")
    parser.add_argument("--root", type=Path, default=None, help="output folder")
    parser.add_argument("versions", nargs="+", choices=VERSIONS)
    args = parser.parse_args(argv)
    for version in args.versions:
        path = ensure(version, args.root)
        print(f"{version}: {path} sha256={json.loads(path.read_bytes())['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
