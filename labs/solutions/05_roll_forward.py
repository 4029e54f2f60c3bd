"""Instructor solutions for labs/05_roll_forward.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, canary, fixed, helpers)

# %% 05-roll-1
canary["metadata"]["name"] = "model-canary"
canary["spec"]["replicas"] = 1
canary["spec"]["selector"]["matchLabels"]["track"] = "canary"
canary["spec"]["template"]["metadata"]["labels"]["track"] = "canary"
canary["spec"]["template"]["spec"]["containers"][0]["image"] = "orchestra/model:v2"
cluster.apply(canary)

# %% 05-roll-2
cluster.rollout_undo("model")
cluster.wait_rollout("model")

# %% 05-roll-3
# (not "careful": the notebook holds section 5's run under that name)
best = helpers.lab.read_manifest("model-deployment.yaml")
fixed["spec"]["strategy"] = best["spec"]["strategy"]
container, good = (
    fixed["spec"]["template"]["spec"]["containers"][0],
    best["spec"]["template"]["spec"]["containers"][0],
)
for field in ("readinessProbe", "lifecycle"):
    container[field] = good[field]
container["ports"] = good["ports"]  # the probe names the port "http"
