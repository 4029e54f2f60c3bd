"""Instructor solutions for labs/05_roll_forward.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, work, helpers)

# %% 05-roll-1
# The edit a student makes in the editor, made by a program here:
import yaml

manifest = work / "model-canary.yaml"
canary = yaml.safe_load(manifest.read_text())
canary["metadata"]["name"] = "model-canary"
canary["spec"]["replicas"] = 1
canary["spec"]["selector"]["matchLabels"]["track"] = "canary"
canary["spec"]["template"]["metadata"]["labels"]["track"] = "canary"
canary["spec"]["template"]["spec"]["containers"][0]["image"] = "orchestra/model:v2"
manifest.write_text(yaml.safe_dump(canary, sort_keys=False))
cluster.apply(manifest)

# %% 05-roll-2
cluster.rollout_undo("model")
cluster.wait_rollout("model")

# %% 05-roll-3
# The edit a student makes in the editor, made by a program here
# (not "careful": the notebook holds section 5's run under that name).
import yaml  # noqa: E402 (each exercise's code runs on its own)

manifest = work / "model-fixed.yaml"
fixed = yaml.safe_load(manifest.read_text())
best = helpers.lab.read_manifest("model-deployment.yaml")
fixed["spec"]["strategy"] = best["spec"]["strategy"]
container, good = (
    fixed["spec"]["template"]["spec"]["containers"][0],
    best["spec"]["template"]["spec"]["containers"][0],
)
for field in ("readinessProbe", "lifecycle"):
    container[field] = good[field]
container["ports"] = good["ports"]  # the probe names the port "http"
manifest.write_text(yaml.safe_dump(fixed, sort_keys=False))
