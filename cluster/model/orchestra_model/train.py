"""Training with scikit-learn (build time only; the server never imports this module).

Both releases are linear scorers, so the server needs only numpy at run time:

- v1: nearest centroid on raw pixels. Choosing the closest class mean is linear in x:
  argmin |x - c|^2 = argmax (2 c.x - |c|^2), so it exports as weights and biases.
- v2: standardised pixels and multinomial logistic regression: measurably better.
- v3: the v2 weights shipped in a corrupt file (see `artifacts`); it has no accuracy.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from orchestra_model import data

# 10 significant digits: far below what changes a prediction, and it keeps the artifact
# bytes identical even if a BLAS build differs in the last bits of a float.
SIGNIFICANT_DIGITS = 10


def _round(values: np.ndarray) -> list:
    """Return `values` as nested lists of floats rounded to SIGNIFICANT_DIGITS."""
    rounded = np.vectorize(lambda v: float(f"{v:.{SIGNIFICANT_DIGITS}g}"), otypes=[float])
    return rounded(np.asarray(values, dtype=np.float64)).tolist()


def _fit_v1(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from sklearn.neighbors import NearestCentroid

    with warnings.catch_warnings():
        # Border pixels are constant within a class; harmless for a centroid classifier.
        warnings.simplefilter("ignore", UserWarning)
        clf = NearestCentroid().fit(x, y)
    centroids = clf.centroids_
    return {
        "algorithm": "nearest-centroid",
        "classes": [int(c) for c in clf.classes_],
        "mean": [0.0] * x.shape[1],
        "scale": [1.0] * x.shape[1],
        "coef": _round(2.0 * centroids),
        "intercept": _round(-np.einsum("ij,ij->i", centroids, centroids)),
    }


def _fit_v2(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    # C=0.1: the digits overfit at C=1; lbfgs is deterministic, max_iter gives it room.
    clf = LogisticRegression(C=0.1, max_iter=5000).fit(scaler.transform(x), y)
    return {
        "algorithm": "standard-scaler+logistic-regression",
        "classes": [int(c) for c in clf.classes_],
        "mean": _round(scaler.mean_),
        "scale": _round(scaler.scale_),
        "coef": _round(clf.coef_),
        "intercept": _round(clf.intercept_),
    }


def fit(version: str) -> dict[str, Any]:
    """Train `version` on the fixed training split and return its linear parameters.

    Args:
        version: "v1", "v2" or "v3" (v3 trains like v2; `artifacts` breaks the file).

    Example:
        >>> sorted(fit("v1"))[:2]
        ['algorithm', 'classes']
    """
    x_train, _, y_train, _ = data.split()
    if version == "v1":
        return _fit_v1(x_train, y_train)
    if version in ("v2", "v3"):
        return _fit_v2(x_train, y_train)
    raise ValueError(f"unknown model version {version!r}; choose v1, v2 or v3")
