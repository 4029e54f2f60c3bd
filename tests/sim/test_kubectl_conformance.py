"""A course's kubectl vocabulary, run in order against the simulator's API server and, when
one answers, the real kind cluster: the same exit codes and output shapes on both.

Each row is (arguments, exit code, shape). A shape is backend-neutral: the header's
first columns (``cols``), a regex the output must match (``out``), or one stderr must match
(``err``). ``{node}`` is a worker's name. Rows marked ``READ`` only read, and are the
ones run on kind (a shared cluster the labs are using: it is never changed here).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from helpers.sim import SimCluster
from tests.sim.httpapi_kit import KUBECTL, MANIFESTS, Kubectl, kubectl_binary, needs_kubectl  # noqa: F401
from tests.sim.test_httpapi_write import moving_clock
from tests.tiers import unavailable

pytestmark = needs_kubectl

POD_COLS = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
DEPLOY_COLS = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
NODE_COLS = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
RS_COLS = ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
SVC_COLS = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
READ = "read"
PIN = json.dumps({"spec": {"nodeSelector": {"kubernetes.io/hostname": "{node}"}}})
OPS = json.dumps([{"op": "replace", "path": "/spec/replicas", "value": 3}])

# fmt: off
ROWS = [
    (("version",), 0, ("out", r"Client Version: v1\.\d+"), READ),
    (("api-resources",), 0, ("cols", ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]), READ),
    (("api-versions",), 0, ("out", r"(?m)^apps/v1$"), READ),
    # kubectl get events --watch needs the watch verb in discovery.
    (("api-resources", "--verbs=watch", "-o", "name"), 0, ("out", r"(?m)^events$"), READ),
    # explain reads the OpenAPI v3 schemas (kubernetes.io/docs/reference/kubectl/generated/kubectl_explain/).
    (("explain", "deployment.spec.replicas"), 0, ("out", r"(?m)^FIELD: replicas <integer>$"), READ),
    (("explain", "pods.spec.containers.ports"), 0, ("out", r"(?m)^FIELD: ports <\[\]ContainerPort>$"), READ),
    (("explain", "service.spec.ports.targetPort"), 0, ("out", r"(?m)^FIELD: targetPort <IntOrString>$"), READ),
    (("explain", "deployment.spec.nosuchfield"), 1, ("err", r'field "nosuchfield" does not exist'), READ),
    # The events API's own fields (served from the core Events, kubectl explain reads its schema).
    (("explain", "events.regarding", "--api-version=events.k8s.io/v1"), 0, ("out", r"(?m)^FIELD: regarding <ObjectReference>$"), READ),
    (("get", "nodes"), 0, ("cols", NODE_COLS), READ),
    (("get", "nodes", "-o", "wide"), 0, ("cols", [*NODE_COLS, "INTERNAL-IP", "EXTERNAL-IP"]), READ),
    (("get", "no", "-o", "name"), 0, ("out", r"^node/"), READ),
    (("get", "nodes", "--show-labels"), 0, ("cols", [*NODE_COLS, "LABELS"]), READ),
    (("get", "nodes", "-l", "kubernetes.io/os=linux"), 0, ("cols", NODE_COLS), READ),
    (("get", "namespaces"), 0, ("cols", ["NAME", "STATUS", "AGE"]), READ),
    (("get", "ns", "kube-system", "-o", "jsonpath={.metadata.name}"), 0, ("out", r"^kube-system$"), READ),
    (("get", "nodes", "nope"), 1, ("err", r'Error from server \(NotFound\): nodes "nope" not found'), READ),
    (("get", "deploy", "nope"), 1, ("err", r'deployments\.apps "nope" not found'), READ),
    (("get", "pods", "-A"), 0, ("cols", ["NAMESPACE", *POD_COLS]), None),
    (("get", "frobs"), 1, ("err", r'the server doesn\'t have a resource type "frobs"'), READ),
    (("get", "events", "--sort-by=.lastTimestamp"), 0, ("cols", ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]), None),
    # Not READ: this kind cluster runs no metrics-server ("error: Metrics API not available").
    (("top", "nodes"), 0, ("cols", ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]), None),
    (("explain", "frobs"), 1, ("err", r"frobs"), READ),
    # The course's objects, in this test's cluster.
    (("get", "pods"), 0, ("cols", POD_COLS), None),
    (("get", "pods", "-o", "wide"), 0, ("cols", [*POD_COLS, "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]), None),
    (("get", "pods", "-l", "app=model", "-o", "name"), 0, ("out", r"^pod/model-"), None),
    (("get", "pods", "--chunk-size=1", "-o", "name"), 0, ("out", r"^pod/model-\S+\npod/model-"), None),
    (("get", "pods", "--chunk-size=1"), 0, ("out", r"\AN[^\n]*\nmodel-[^\n]*\nmodel-"), None),
    (("get", "pods", "--show-labels"), 0, ("cols", [*POD_COLS, "LABELS"]), None),
    (("get", "deploy"), 0, ("cols", DEPLOY_COLS), None),
    (("get", "deploy", "model", "-o", "wide"), 0, ("cols", [*DEPLOY_COLS, "CONTAINERS", "IMAGES", "SELECTOR"]), None),
    (("get", "deploy", "model", "-o", "jsonpath={.spec.replicas}"), 0, ("out", r"^\d+$"), None),
    (("get", "deploy", "model", "-o", "yaml"), 0, ("out", r"(?m)^kind: Deployment$"), None),
    (("get", "deploy", "model", "-o", "json"), 0, ("out", r'"kind": "Deployment"'), None),
    (("get", "rs"), 0, ("cols", RS_COLS), None),
    (("get", "svc"), 0, ("cols", SVC_COLS), None),
    (("get", "svc", "model", "-o", "wide"), 0, ("cols", [*SVC_COLS, "SELECTOR"]), None),
    (("get", "endpoints", "model"), 0, ("cols", ["NAME", "ENDPOINTS", "AGE"]), None),
    (("get", "hpa"), 0, ("cols", ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]), None),
    (("get", "pdb"), 0, ("cols", ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]), None),
    (("get", "all"), 0, ("out", r"(?m)^NAME +READY +STATUS"), None),
    (("get", "deploy,svc"), 0, ("out", r"deployment\.apps/model"), None),
    (("describe", "deploy", "model"), 0, ("out", r"(?m)^NewReplicaSet: +model-"), None),
    (("describe", "svc", "model"), 0, ("out", r"(?m)^Selector: +app=model"), None),
    (("describe", "node", "{node}"), 0, ("out", r"(?m)^Allocated resources:"), None),
    (("describe", "deploy", "nope"), 1, ("err", r'deployments\.apps "nope" not found'), None),
    (("logs", "deploy/model"), 0, ("out", r"Uvicorn running on http://0\.0\.0\.0:8080"), None),
    (("logs", "nope"), 1, ("err", r'pods "nope" not found'), None),
    (("top", "pods"), 0, ("cols", ["NAME", "CPU(cores)", "MEMORY(bytes)"]), None),
    (("apply", "-f", str(MANIFESTS)), 0, ("out", r"deployment\.apps/model (configured|unchanged)"), None),
    (("apply", "-f", str(MANIFESTS / "model-service.yaml")), 0, ("out", r"^service/model unchanged$"), None),
    (("apply", "-f", str(MANIFESTS / "model-service.yaml"), "--dry-run=client"), 0, ("out", r"service/model (unchanged|configured) \(dry run\)"), None),
    (("apply", "--server-side", "-f", str(MANIFESTS / "model-service.yaml")), 0, ("out", r"^service/model serverside-applied$"), None),
    # Server-side dry runs: every stage of the write but storing it (api-concepts/#dry-run).
    (("diff", "-f", str(MANIFESTS / "model-service.yaml")), 0, ("out", r"\A\Z"), None),
    (("apply", "-f", str(MANIFESTS / "model-service.yaml"), "--dry-run=server"), 0, ("out", r"^service/model unchanged \(server dry run\)$"), None),
    (("scale", "deploy", "model", "--replicas=9", "--dry-run=server"), 0, ("out", r"^deployment\.apps/model scaled \(server dry run\)$"), None),
    # Typed clients write these in protobuf (kubectl create configmap/secret/namespace).
    (("create", "configmap", "cfg", "--from-literal=GREETING=hi"), 0, ("out", r"^configmap/cfg created$"), None),
    (("create", "secret", "generic", "creds", "--from-literal=password=s3cret"), 0, ("out", r"^secret/creds created$"), None),
    (("create", "namespace", "team"), 0, ("out", r"^namespace/team created$"), None),
    (("get", "cm", "cfg"), 0, ("cols", ["NAME", "DATA", "AGE"]), None),
    (("get", "secret", "creds"), 0, ("cols", ["NAME", "TYPE", "DATA", "AGE"]), None),
    (("get", "secret", "creds", "-o", "jsonpath={.data.password}"), 0, ("out", r"^czNjcmV0$"), None),
    (("create", "configmap", "cfg", "--from-literal=a=b"), 1, ("err", r'configmaps "cfg" already exists'), None),
    # ... and these too (create deployment/service/pdb, autoscale): the typed writers.
    (("create", "deployment", "web", "--image=orchestra/model:v1", "--replicas=2", "--port=8080"), 0, ("out", r"^deployment\.apps/web created$"), None),
    (("get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].name} {.spec.template.spec.containers[0].ports[0].containerPort}"), 0, ("out", r"^2 model 8080$"), None),
    (("create", "service", "nodeport", "web", "--tcp=80:8080"), 0, ("out", r"^service/web created$"), None),
    (("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].name} {.spec.ports[0].targetPort} {.spec.type}"), 0, ("out", r"^80-8080 8080 NodePort$"), None),
    (("autoscale", "deployment", "web", "--min=2", "--max=4", "--cpu=60%"), 0, ("out", r"^horizontalpodautoscaler\.autoscaling/web autoscaled$"), None),
    (("get", "hpa", "web", "-o", "jsonpath={.spec.metrics[0].resource.target.averageUtilization}"), 0, ("out", r"^60$"), None),
    (("create", "pdb", "web", "--selector=app=web", "--min-available=1"), 0, ("out", r"^poddisruptionbudget\.policy/web created$"), None),
    (("create", "deployment", "web", "--image=orchestra/model:v1"), 1, ("err", r'deployments\.apps "web" already exists'), None),
    (("delete", "deployment,service,hpa,pdb", "web"), 0, ("out", r'deployment\.apps "web" deleted'), None),
    (("delete", "hpa", "model"), 0, ("out", r'^horizontalpodautoscaler\.autoscaling "model" deleted'), None),
    (("label", "deploy", "model", "tier=web"), 0, ("out", r"^deployment\.apps/model labeled$"), None),
    (("label", "deploy", "model", "tier=db"), 1, ("err", r"'tier' already has a value \(web\)"), None),
    (("label", "deploy", "model", "tier-"), 0, ("out", r"^deployment\.apps/model unlabeled$"), None),
    (("annotate", "deploy", "model", "note=x"), 0, ("out", r"^deployment\.apps/model annotated$"), None),
    (("scale", "deploy", "model", "--replicas=4"), 0, ("out", r"^deployment\.apps/model scaled$"), None),
    (("patch", "deploy", "model", "--type", "json", "-p", OPS), 0, ("out", r"^deployment\.apps/model patched$"), None),
    (("patch", "deploy", "model", "--type", "merge", "-p", '{"spec":{"replicas":3}}'), 0, ("out", r"^deployment\.apps/model patched \(no change\)$"), None),
    (("patch", "deploy", "model", "-p", '{"spec":{"minReadySeconds":1}}'), 0, ("out", r"^deployment\.apps/model patched$"), None),
    (("patch", "deploy", "model", "--type", "merge", "-p", '{"spec":{"replicas":"x"}}'), 1, ("err", r"replicas"), None),
    (("set", "image", "deploy/model", "model=orchestra/model:v2"), 0, ("out", r"^deployment\.apps/model image updated$"), None),
    (("set", "env", "deploy/model", "GREETING=hi"), 0, ("out", r"^deployment\.apps/model env updated$"), None),
    (("rollout", "history", "deploy/model"), 0, ("out", r"REVISION +CHANGE-CAUSE"), None),
    (("rollout", "pause", "deploy/model"), 0, ("out", r"^deployment\.apps/model paused$"), None),
    (("rollout", "pause", "deploy/model"), 1, ("err", r"already paused"), None),
    (("rollout", "resume", "deploy/model"), 0, ("out", r"^deployment\.apps/model resumed$"), None),
    (("rollout", "status", "deploy/model", "--timeout=60s"), 0, ("out", r'deployment "model" successfully rolled out'), None),
    (("rollout", "undo", "deploy/model"), 0, ("out", r"^deployment\.apps/model rolled back$"), None),
    (("rollout", "restart", "deploy/model"), 0, ("out", r"^deployment\.apps/model restarted$"), None),
    (("rollout", "status", "deploy/model", "--timeout=60s"), 0, ("out", r"successfully rolled out"), None),
    (("create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", "name"), 0, ("out", r"^deployment\.apps/web$"), None),
    (("run", "bare", "--image=orchestra/model:v1", f"--overrides={PIN}"), 0, ("out", r"^pod/bare created$"), None),
    (("cordon", "{node}"), 0, ("out", r"^node/\S+ cordoned$"), None),
    (("get", "node", "{node}"), 0, ("out", r"SchedulingDisabled"), None),
    (("drain", "{node}", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=5s", "--pod-selector=run=bare"), 1, ("err", r"cannot delete Pods that declare no controller"), None),
    (("uncordon", "{node}"), 0, ("out", r"^node/\S+ uncordoned$"), None),
    (("delete", "pod", "bare", "--wait=false"), 0, ("out", r'^pod "bare" deleted'), None),
    (("delete", "deploy", "nope"), 1, ("err", r'deployments\.apps "nope" not found'), None),
    (("exec", "deploy/model", "--", "true"), 1, ("err", r"exec"), None),
]
# fmt: on


def check(row, result) -> None:
    args, code, (how, expect), _ = row
    out, err = result.stdout, result.stderr
    assert result.returncode == code, (args, out, err)
    if how == "cols":
        assert out.splitlines()[0].split()[: len(expect)] == expect, (args, out)
    elif how == "out":
        assert re.search(expect, out, re.M), (args, out, err)
    else:
        assert re.search(expect, err), (args, out, err)


def run_rows(kubectl, rows, node: str) -> int:
    for row in rows:
        check(row, kubectl(*(a.replace("{node}", node) for a in row[0])))
    return len(rows)


def test_there_are_at_least_sixty_commands():
    assert len(ROWS) >= 60


def test_conformance_on_the_simulator(tmp_path):
    cluster = SimCluster(seed=0)
    cluster.apply(MANIFESTS)
    cluster.wait_rollout("model")
    cluster.sleep(40)  # two metrics-server scrapes: `top` has numbers
    handle = cluster.serve_api(kubeconfig=tmp_path / "kubeconfig")
    try:
        kubectl = Kubectl(tmp_path / "kubeconfig", tmp_path / "cache")
        node = next(n["metadata"]["name"] for n in cluster.list_objects("Node")
                    if "control-plane" not in n["metadata"]["name"])  # fmt: skip
        stop, thread = moving_clock(cluster)  # rollouts and drains need time to pass
        try:
            assert run_rows(kubectl, ROWS, node) >= 60
        finally:
            stop.set()
            thread.join()
    finally:
        handle.close()
        cluster.close()


def test_conformance_on_kind_read_only(tmp_path):
    """The rows that only read, against kind's context ``kind-orchestra``."""
    probe = subprocess.run([str(KUBECTL), "--context", "kind-orchestra", "get", "--raw", "/readyz"],
                           capture_output=True, text=True, timeout=20, check=False)  # fmt: skip
    if probe.returncode != 0:
        unavailable("kind", "no kind cluster answers on the context kind-orchestra")
    nodes = subprocess.run([str(KUBECTL), "--context", "kind-orchestra", "get", "nodes", "-o",
                            "name"], capture_output=True, text=True, timeout=20, check=True)  # fmt: skip
    node = next(n for n in nodes.stdout.split() if "control-plane" not in n).split("/")[1]

    def kubectl(*args):
        return subprocess.run([str(KUBECTL), "--context", "kind-orchestra", "--cache-dir",
                               str(tmp_path / "cache"), *args], capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    read_rows = [row for row in ROWS if row[3] == READ]
    assert run_rows(kubectl, read_rows, node) == len(read_rows)


@pytest.mark.parametrize("row", [r for r in ROWS if r[3] == READ], ids=lambda r: " ".join(r[0]))
def test_read_rows_need_no_course_objects(row):
    assert "model" not in " ".join(row[0])
