"""The model service students deploy, scale, break and roll forward.

Submodules: `data` (the dataset and its fixed split), `train` (scikit-learn training,
build time only), `artifacts` (numpy-only model files with a sha256), `faults` (the
fault switches read from the environment), `metrics` and `server` (the FastAPI app).
Importing the package starts nothing and imports no heavy dependency.
"""

VERSIONS = ("v1", "v2", "v3")
