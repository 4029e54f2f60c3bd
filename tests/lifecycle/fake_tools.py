"""Fake `kind`, `kubectl` and `docker` executables that answer like the real tools.

Each fake is a small Python script put on PATH. It appends its arguments to
``<state>/calls.jsonl`` and answers from files in the state directory, so a test sets a
scenario by writing files: ``clusters`` (one name a line), ``api_down``, ``nodes_never_ready``,
``multiarch``, ``docker_down``, ``memory`` (bytes), ``metrics_unavailable``, ``old_kind``,
``cgroup`` (1 or 2). Output texts are the real tools' (kind
v0.32, kubectl 1.36, Docker CLI), including the error lines the kit maps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCRIPT = r"""#!{python}
import json, os, sys
from pathlib import Path

TOOL = {tool!r}
state = Path({state!r})
args = sys.argv[1:]
with open(state / "calls.jsonl", "a") as log:
    log.write(json.dumps({{"tool": TOOL, "args": args}}) + "\n")


def has(name):
    return (state / name).exists()


def clusters():
    f = state / "clusters"
    return [c for c in f.read_text().split() if c] if f.exists() else []


def node(name, role, ready):
    labels = {{"kubernetes.io/hostname": name}}
    if role == "control-plane":
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {{"metadata": {{"name": name, "labels": labels}},
            "status": {{"conditions": [{{"type": "Ready", "status": "True" if ready else "False"}}]}}}}


if TOOL == "kind":
    if args[:1] == ["version"]:
        print("kind %s go1.26.3 linux/amd64" % ("v0.20.0" if has("old_kind") else "v0.32.0"))
    elif args[:2] == ["get", "clusters"]:
        if clusters():
            print("\n".join(clusters()))
        else:
            print("No kind clusters found.", file=sys.stderr)
    elif args[:2] == ["create", "cluster"]:
        name = args[args.index("--name") + 1]
        for line in ("Creating cluster \"%s\" ..." % name,
                     " \u2713 Ensuring node image (kindest/node:v1.36.1) \U0001f5bc",
                     " \u2713 Preparing nodes \U0001f4e6 \U0001f4e6 \U0001f4e6",
                     " \u2713 Writing configuration \U0001f4dc",
                     " \u2713 Starting control-plane \U0001f579\ufe0f",
                     " \u2713 Installing CNI \U0001f50c",
                     " \u2713 Installing StorageClass \U0001f4be",
                     " \u2713 Joining worker nodes \U0001f69c",
                     "Set kubectl context to \"kind-%s\"" % name):
            print(line, file=sys.stderr)
        (state / "clusters").write_text("\n".join(clusters() + [name]))
    elif args[:2] == ["delete", "cluster"]:
        name = args[args.index("--name") + 1]
        print("Deleting cluster \"%s\" ..." % name, file=sys.stderr)
        (state / "clusters").write_text("\n".join(c for c in clusters() if c != name))
    elif args[:2] == ["load", "docker-image"]:
        if has("multiarch"):
            print('ERROR: failed to load image: command "docker exec --privileged -i '
                  'orchestra-control-plane ctr --namespace=k8s.io images import --all-platforms '
                  '--digests --snapshotter=overlayfs -" failed with error: exit status 1',
                  file=sys.stderr)
            print("Command Output: ctr: content digest sha256:82014a3cbf22d2e03382cd9b123f4151"
                  "d956986e727340a466406a206408b7a2: not found", file=sys.stderr)
            sys.exit(1)
        if has("load_fails"):
            print('ERROR: image: "orchestra/model:v9" not present locally', file=sys.stderr)
            sys.exit(1)
        for image in args[4:]:
            print('Image: "%s" with ID "sha256:1ecb" not yet present on node '
                  '"orchestra-worker", loading...' % image, file=sys.stderr)
    elif args[:2] == ["load", "image-archive"]:
        archive = Path(args[-1])
        (state / "archive_seen").write_text(archive.read_text())
    else:
        print("ERROR: unknown command %r" % args, file=sys.stderr)
        sys.exit(1)

elif TOOL == "kubectl":
    rest = args[2:] if args[:1] == ["--context"] else args
    if has("api_down"):
        print("The connection to the server 127.0.0.1:41287 was refused - did you specify "
              "the right host or port?", file=sys.stderr)
        sys.exit(1)
    if rest[:2] == ["get", "nodes"]:
        ready = not has("nodes_never_ready")
        items = [node("orchestra-control-plane", "control-plane", True),
                 node("orchestra-worker", "worker", ready),
                 node("orchestra-worker2", "worker", ready)]
        if has("one_node"):
            items = items[:1]
        print(json.dumps({{"apiVersion": "v1", "kind": "List", "items": items}}))
    elif rest[:1] == ["wait"] and "nodes" in rest:
        if has("nodes_never_ready"):
            print("node/orchestra-control-plane condition met")
            print("error: timed out waiting for the condition on nodes/orchestra-worker",
                  file=sys.stderr)
            sys.exit(1)
        for name in ("orchestra-control-plane", "orchestra-worker", "orchestra-worker2"):
            print("node/%s condition met" % name)
    elif rest[:1] == ["apply"]:
        print("serviceaccount/metrics-server created")
        print("deployment.apps/metrics-server created")
    elif rest[:1] == ["wait"]:
        if has("metrics_unavailable"):
            print("error: timed out waiting for the condition on deployments/metrics-server",
                  file=sys.stderr)
            sys.exit(1)
        print("deployment.apps/metrics-server condition met")
    elif rest[:1] == ["get"]:
        print("deployment.apps/metrics-server")
    else:
        print("error: unknown command %r" % rest, file=sys.stderr)
        sys.exit(1)

elif TOOL == "docker":
    if args[:1] == ["info"]:
        if has("docker_down"):
            print(json.dumps({{"ServerErrors": ["Cannot connect to the Docker daemon at "
                  "unix:///var/run/docker.sock. Is the docker daemon running?"]}}))
            print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                  "Is the docker daemon running?", file=sys.stderr)
            sys.exit(1)
        if "--format" in args and "CgroupVersion" in args[args.index("--format") + 1]:
            print((state / "cgroup").read_text().strip() if has("cgroup") else "2")
            sys.exit(0)
        memory = int((state / "memory").read_text()) if has("memory") else 8 * 1024 ** 3
        print(json.dumps({{"ServerVersion": "29.1.3", "NCPU": 4, "MemTotal": memory}}))
    elif args[:1] == ["save"]:
        if "--platform" in args and has("old_docker"):
            print('unknown flag: --platform', file=sys.stderr)
            sys.exit(125)
        out = Path(args[args.index("-o") + 1])
        images = [a for a in args[1:] if a.startswith("orchestra/")]
        out.write_text("tar of " + " ".join(images))
    else:
        print("docker: unknown command %r" % args, file=sys.stderr)
        sys.exit(1)
"""


def install(bin_dir: Path, state: Path) -> None:
    """Write the three fakes into ``bin_dir``; their scenario files live in ``state``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    for tool in ("kind", "kubectl", "docker"):
        path = bin_dir / tool
        path.write_text(SCRIPT.format(python=sys.executable, tool=tool, state=str(state)))
        path.chmod(0o755)


def calls(state: Path, tool: str | None = None) -> list[list[str]]:
    """The argument lists the fakes received, in order (optionally of one tool)."""
    log = state / "calls.jsonl"
    if not log.exists():
        return []
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return [r["args"] for r in rows if tool is None or r["tool"] == tool]
