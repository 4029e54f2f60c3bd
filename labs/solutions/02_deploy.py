"""Instructor solutions for labs/02_deploy.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, work)

# %% 02-deploy-1
my_selector = "app=model"

# %% 02-deploy-2
cluster.scale("model", 4)

# %% 02-deploy-3
# The edit a student makes in the editor, made by a program here:
manifest = work / "model-deployment.yaml"
manifest.write_text(manifest.read_text().replace("replicas: 3", "replicas: 5"))
print(cluster.diff(manifest))
cluster.apply(manifest)
