"""Instructor solutions for labs/01_containers.ipynb."""

# %% 01-containers-1
server = helpers.lab.local_server("v2")  # noqa: F821 (the notebook's helpers)
