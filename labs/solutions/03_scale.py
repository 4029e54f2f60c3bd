"""Instructor solutions for labs/03_scale.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, helpers, re, work)

# %% 03-scale-1
cluster.scale("model", 6)

# %% 03-scale-2
message = cluster.events().query("reason == 'FailedScheduling'")["message"].iloc[-1]
answer = re.search(r"Insufficient \w+", message).group(0)

# %% 03-scale-3
helpers.lab.set_requests(cluster, "model", cpu="50m")

# %% 03-scale-4
# The edit a student makes in the editor, made by a program here:
manifest = work / "model-hpa.yaml"
text = manifest.read_text()
for old, new in (("minReplicas: 2", "minReplicas: 3"), ("maxReplicas: 10", "maxReplicas: 8"),
                 ("averageUtilization: 70", "averageUtilization: 60")):  # fmt: skip
    text = text.replace(old, new)
manifest.write_text(text)
print(cluster.diff(manifest))
cluster.apply(manifest)
