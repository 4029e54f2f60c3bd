"""The dataset: scikit-learn's bundled 8x8 handwritten digits, with one fixed split.

The digits ship inside scikit-learn, so nothing is downloaded. Each row is 64 pixel
intensities in 0..16; the label is the digit 0..9. scikit-learn is imported lazily: the
server image has no scikit-learn and only needs `N_FEATURES`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

N_FEATURES = 64
"""Numbers per input row (8x8 pixels)."""

CLASSES = tuple(range(10))
"""The labels a model predicts."""

# A quarter held out, stratified, fixed seed: the same split on every machine and run.
TEST_SIZE = 0.25
SPLIT_SEED = 0


@lru_cache(maxsize=1)
def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the fixed train/test split as float64 arrays.

    Returns:
        (x_train, x_test, y_train, y_test)

    Example:
        >>> x_train, x_test, y_train, y_test = split()
        >>> x_test.shape[1] == N_FEATURES
        True
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data.astype(np.float64)
    y = digits.target.astype(np.int64)
    parts = train_test_split(x, y, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y)
    for part in parts:
        part.setflags(write=False)  # cached and shared: nobody may change it in place
    return tuple(parts)  # type: ignore[return-value]


def sample_rows(n: int, seed: int = 0) -> list[list[float]]:
    """Return `n` valid input rows (held-out digits) for demos and load tests.

    Rows are drawn with replacement from the held-out split, so any `n` works and the
    same `(n, seed)` always gives the same rows.

    Args:
        n: How many rows.
        seed: Seed of the draw.

    Example:
        >>> rows = sample_rows(2)
        >>> len(rows), len(rows[0])
        (2, 64)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    _, x_test, _, _ = split()
    picks = np.random.default_rng(seed).integers(0, len(x_test), size=n)
    return x_test[picks].tolist()
