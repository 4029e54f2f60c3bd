"""Instructor solutions for labs/07_helm.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, helpers)

# %% 07-helm-1
helpers.lab.helm("upgrade model ../cluster/chart --reuse-values --set replicaCount=4")
cluster.wait_rollout("model")

# %% 07-helm-2
helpers.lab.helm("rollback model")  # no revision: the one before the broken v3 (v2, 4 replicas)
cluster.wait_rollout("model")
