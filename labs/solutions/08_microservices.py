"""Instructor solutions for labs/08_microservices.ipynb."""
# ruff: noqa: F821 (names come from the notebook: cluster, work)

# %% 08-ms-1
# The edit a student makes in the editor, made by a program here:
import yaml

manifest = work / "gateway-config.yaml"
config = yaml.safe_load(manifest.read_text())
config["data"]["MODEL_URL"] = "http://model"  # the Service's name; port 80 is HTTP's default
manifest.write_text(yaml.safe_dump(config, sort_keys=False))
cluster.apply(manifest)
cluster.rollout_restart("gateway")  # env from a ConfigMap is read when a container starts
cluster.wait_rollout("gateway")

# %% 08-ms-2
# The edit a student makes in the editor, made by a program here:
import yaml  # noqa: E402 (each exercise's code runs on its own)

manifest = work / "gateway.yaml"
gateway = yaml.safe_load(manifest.read_text())
container = gateway["spec"]["template"]["spec"]["containers"][0]
ref = {"secretKeyRef": {"name": "model-token", "key": "token"}}
container["env"] = [e for e in container["env"] if e["name"] != "MODEL_TOKEN"]  # once only
container["env"].append({"name": "MODEL_TOKEN", "valueFrom": ref})
manifest.write_text(yaml.safe_dump(gateway, sort_keys=False))
cluster.apply(manifest)
cluster.wait_rollout("gateway")
