"""Instructor solutions for labs/00_setup.ipynb (run by helpers.lab.exercise under LAB_AUTOSOLVE=1)."""

# %% 00-setup-1
answer = int((cluster.nodes()["role"] == "worker").sum())  # noqa: F821 (the notebook's cluster)
