"""Evaluation of a released artifact: held-out accuracy, as the server would answer.

It sits beside ``artifacts`` (which it loads through the hash check) rather than in
``train``, so training never imports the artifact store that calls it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orchestra_model import artifacts, data


def accuracy(version: str, root: Path | None = None) -> float:
    """Held-out accuracy of the released artifact (what the server would answer).

    Loading goes through the artifact and its hash check, so `accuracy("v3")` raises
    `ArtifactError`: a broken release has no accuracy.

    Example:
        >>> accuracy("v2") > accuracy("v1")
        True
    """
    artifacts.ensure(version, root)
    model = artifacts.load(version, root)
    _, x_test, _, y_test = data.split()
    predicted = np.asarray(model.predict(x_test.tolist()))
    return float(np.mean(predicted == y_test))
