"""Lab 01's look at the model releases: accuracy, content hash, and which ones load.

A thin table over ``orchestra_model`` so the notebook shows all releases in one call, and
so error messages name the artifact folder as ``<artifacts>`` rather than this machine's
path (saved notebook outputs must not carry local paths).
"""

from __future__ import annotations

import pandas as pd

RELEASES = ("v1", "v2", "v3")
COLUMNS = ["version", "loads", "sha256", "accuracy", "problem"]


def releases(versions=RELEASES) -> pd.DataFrame:
    """One row per release: does it load (hash verified), its sha256 prefix, its accuracy.

    Example:
        >>> helpers.lab.releases()[["version", "loads"]].to_dict("records")[0]
        {'version': 'v1', 'loads': True}
    """
    from orchestra_model import artifacts, evaluate

    rows = []
    for version in versions:
        path = artifacts.ensure(version)  # trains once; later calls read the file
        try:
            model = artifacts.load(version)
        except artifacts.ArtifactError as err:
            problem = str(err).replace(str(path.parent), "<artifacts>")
            rows.append([version, False, None, None, problem])
            continue
        rows.append([version, True, model.sha256[:16], round(evaluate.accuracy(version), 4), ""])
    return pd.DataFrame(rows, columns=COLUMNS)
