"""Instructor solutions for labs/04_break.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, helpers)

# %% 04-break-1
helpers.lab.set_env(cluster, "model", MODEL_FAULT_CRASH_AT_START=None)

# %% 04-break-2
cluster.set_image("model", "orchestra/model:v1")

# %% 04-break-3
cluster.apply("../cluster/manifests/model-pdb.yaml")

# %% 04-break-4
# kubectl drain orchestra-worker --ignore-daemonsets --delete-emptydir-data
cluster.drain("orchestra-worker", ignore_daemonsets=True, delete_emptydir_data=True)
