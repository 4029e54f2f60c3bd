"""Instructor solutions for labs/02_deploy.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, deployment)

# %% 02-deploy-1
my_selector = "app=model"

# %% 02-deploy-2
cluster.scale("model", 4)

# %% 02-deploy-3
deployment["spec"]["replicas"] = 5
cluster.apply(deployment)
