"""Instructor solutions for labs/06_scheduling.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, spread)

# %% 06-sched-1
cluster.patch(
    "deployment",
    "model",
    {"spec": {"template": {"spec": {"nodeSelector": {"accelerator": "gpu"}}}}},
)

# %% 06-sched-2
cluster.delete("deployment", "model-spread")
spread["spec"]["template"]["spec"]["tolerations"] = [
    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
]
cluster.apply(spread)
