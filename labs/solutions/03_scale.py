"""Instructor solutions for labs/03_scale.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, helpers, hpa, re)

# %% 03-scale-1
cluster.scale("model", 6)

# %% 03-scale-2
message = cluster.events().query("reason == 'FailedScheduling'")["message"].iloc[-1]
answer = re.search(r"Insufficient \w+", message).group(0)

# %% 03-scale-3
helpers.lab.set_requests(cluster, "model", cpu="50m")

# %% 03-scale-4
hpa["spec"]["minReplicas"] = 3
hpa["spec"]["maxReplicas"] = 8
hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = 60
cluster.apply(hpa)
