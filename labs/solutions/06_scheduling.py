"""Instructor solutions for labs/06_scheduling.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, work)

# %% 06-sched-1
# The edit a student makes in the editor, made by a program here:
import yaml

manifest = work / "model-gpu.yaml"
model = yaml.safe_load(manifest.read_text())
model["spec"]["template"]["spec"]["nodeSelector"] = {"accelerator": "gpu"}
manifest.write_text(yaml.safe_dump(model, sort_keys=False))
cluster.apply(manifest)

# %% 06-sched-2
# The edit a student makes in the editor, made by a program here:
import yaml  # noqa: E402 (each exercise's code runs on its own)

manifest = work / "model-spread.yaml"
spread = yaml.safe_load(manifest.read_text())
spread["spec"]["template"]["spec"]["tolerations"] = [
    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
]
manifest.write_text(yaml.safe_dump(spread, sort_keys=False))
cluster.delete("deployment", "model-spread")
cluster.apply(manifest)
