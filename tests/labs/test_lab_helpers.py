"""helpers.lab: the glue the notebooks call, on the simulator.

Kubernetes behaviour relied on: taint-based evictions after the node monitor grace period
(https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions).
"""

from __future__ import annotations

import pytest
import yaml

import helpers.lab
from helpers.errors import LabError
from helpers.lab.solutions import solution_code, solutions_of


def test_start_deploys_prerequisites_and_reset_removes_them(deployed):
    assert deployed.pods()["ready"].sum() == 3
    helpers.lab.reset(deployed)
    assert deployed.pods().empty
    assert helpers.lab.cleanup(deployed) == "cleaned up: no model objects left"
    with pytest.raises(LabError, match="No lab cluster"):
        helpers.lab.current()


def test_kubectl_translates_the_commands_the_labs_use(deployed, builtin_kubectl):
    kubectl = helpers.lab.kubectl
    kubectl("kubectl scale deployment/model --replicas=4")
    assert deployed.get("deployment", "model")["spec"]["replicas"] == 4
    kubectl("set image deployment/model model=orchestra/model:v2")
    kubectl("rollout status deployment/model")
    assert set(kubectl("get pods -l app=model").query("ready")["version"]) == {"v2"}
    history = kubectl("rollout history deployment/model")
    assert list(history["image"]) == ["orchestra/model:v1", "orchestra/model:v2"]
    assert kubectl("rollout undo deployment/model") == 1
    assert list(kubectl("get rs")["image"]) != []
    assert list(kubectl("get svc")["name"]) == ["model"]
    kubectl("cordon orchestra-worker")
    assert not kubectl("get nodes").set_index("name").loc["orchestra-worker", "schedulable"]


def test_kubectl_drain_takes_kubectls_flags(deployed, builtin_kubectl):
    """The model pods have an emptyDir: kubectl drain needs --delete-emptydir-data
    (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_drain/)."""
    kubectl = helpers.lab.kubectl
    with pytest.raises(LabError, match="use --delete-emptydir-data to override"):
        kubectl("drain orchestra-worker --ignore-daemonsets")
    evicted = kubectl("drain --ignore-daemonsets --delete-emptydir-data orchestra-worker")
    assert evicted and all(name.startswith("model-") for name in evicted)


def test_kubectl_refuses_what_it_does_not_know(deployed, builtin_kubectl):
    with pytest.raises(LabError, match="knows"):
        helpers.lab.kubectl("port-forward svc/model 8080")
    with pytest.raises(LabError, match="malformed"):
        helpers.lab.kubectl("scale deployment/model")


def test_kubectl_translation_is_strict_not_silently_wrong(deployed, builtin_kubectl):
    """kubectl's forms (kubernetes.io/docs/reference/kubectl/): `-n` lists another
    namespace, `scale deployment model` names by kind and name; what the translation
    cannot do (here `-o jsonpath`) is refused, never ignored."""
    kubectl = helpers.lab.kubectl
    assert kubectl("get pods -n kube-system").empty  # the model's pods are in default
    assert len(kubectl("get pods -A -l app=model")) == 3
    kubectl("scale deployment model --replicas 4")
    assert deployed.get("deployment", "model")["spec"]["replicas"] == 4
    with pytest.raises(LabError, match=r"get -o jsonpath=.*prints tables only"):
        kubectl("get pod x -o jsonpath={.status.phase}")
    with pytest.raises(LabError, match="lists other namespaces for pods only"):
        kubectl("get deployments -n kube-system")
    assert kubectl("rollout status deployment model --timeout=2m")
    assert list(kubectl("get replicasets -o wide")["image"]) == ["orchestra/model:v1"]


def test_exercise_is_silent_for_students_and_solves_in_ci(monkeypatch, capsys):
    monkeypatch.delenv("LAB_AUTOSOLVE", raising=False)
    namespace = {"cluster": None}
    monkeypatch.setattr("helpers.lab.solutions._namespace", lambda depth=2: namespace)
    helpers.lab.exercise("00-setup-1")
    assert "answer" not in namespace and capsys.readouterr().out == ""
    with pytest.raises(LabError, match="not an exercise id"):
        helpers.lab.exercise("setup")


def test_exercise_runs_the_instructor_answer_under_autosolve(monkeypatch, capsys, sim):
    monkeypatch.setenv("LAB_AUTOSOLVE", "1")
    namespace = {"cluster": sim}
    monkeypatch.setattr("helpers.lab.solutions._namespace", lambda depth=2: namespace)
    helpers.lab.exercise("00-setup-1")
    assert namespace["answer"] == 2
    assert "[LAB_AUTOSOLVE=1] ran the instructor's answer to 00-setup-1" in capsys.readouterr().out


def test_solutions_parse_by_section_and_missing_ones_say_where():
    assert "cluster.scale" in solutions_of("03")["03-scale-1"]
    with pytest.raises(LabError, match="labs/solutions/03_"):
        solution_code("03-scale-99")


def test_set_env_and_tolerations_edit_the_template(deployed):
    helpers.lab.set_env(deployed, "model", MODEL_FAULT_LATENCY_MS="5")
    helpers.lab.set_tolerations(deployed, "model", 30)
    spec = deployed.get("deployment", "model")["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
    assert env["MODEL_FAULT_LATENCY_MS"] == "5" and "POD_NAME" in env
    assert {t["tolerationSeconds"] for t in spec["tolerations"]} == {30}
    helpers.lab.set_env(deployed, "model", MODEL_FAULT_LATENCY_MS=None)
    spec = deployed.get("deployment", "model")["spec"]["template"]["spec"]
    assert "MODEL_FAULT_LATENCY_MS" not in {e["name"] for e in spec["containers"][0]["env"]}


def test_room_for_matches_what_the_scheduler_admits(deployed):
    """Requests are summed against allocatable (manage-resources-containers docs)."""
    room = helpers.lab.room_for(deployed, cpu=0.1, memory=128 * 2**20)
    deployed.scale("model", 3 + room)
    deployed.sleep(15)
    assert (deployed.pods()["status"] == "Pending").sum() == 0
    assert helpers.lab.room_for(deployed, cpu=0.1, memory=128 * 2**20) == 0


def test_node_loss_with_short_tolerations(deployed):
    """NotReady after the grace period, eviction tolerationSeconds later (taint docs)."""
    helpers.lab.set_tolerations(deployed, "model", 30)
    deployed.wait_rollout("model")
    t0 = deployed.now()
    deployed.stop_node("orchestra-worker2")
    took = helpers.lab.recover(deployed, "model", since=t0, away_from="orchestra-worker2")
    timeline = helpers.lab.node_loss_timeline(deployed, "orchestra-worker2", since=t0)
    not_ready = timeline.loc[timeline["reason"] == "NodeNotReady", "after_s"].min()
    evicted = timeline.loc[timeline["reason"] == "TaintManagerEviction", "after_s"].min()
    # The course cluster's 20 s grace (cluster/kind.yaml) plus up to a 5 s lease period and a
    # 5 s monitor tick; on the kind cluster from that file: 21.8 s, all Ready after 55.9 s.
    assert 20 < not_ready <= 30
    assert evicted - not_ready == pytest.approx(30, abs=1)
    assert took >= evicted
    assert 50 <= took <= 65


def test_wait_pods_and_chaos(deployed):
    assert len(helpers.lab.wait_pods(deployed, "app=model", 3)) == 3
    with deployed.traffic("model", rps=20) as run:
        faults = helpers.lab.chaos(deployed, kills=2, every=10, seed=0)
    assert len(faults) == 2 and all(k.startswith("delete model-") for k in faults)
    assert run.summary()["failed"] == 0


def test_releases_table_and_local_server():
    table = helpers.lab.releases()
    assert list(table["loads"]) == [True, True, False]
    assert table.loc[1, "accuracy"] > table.loc[0, "accuracy"]
    assert "<artifacts>" in table.loc[2, "problem"] and "/" + "home" not in table.loc[2, "problem"]
    with helpers.lab.local_server("v1") as server:
        assert server.get("/version")["body"]["version"] == "v1"
        assert server.predict([[0.0] * 64])["pod"] == "local-v1"
    assert server.process.returncode == 0  # SIGTERM: a clean exit


def test_show_file_and_read_manifest():
    shown = helpers.lab.show_file("cluster/manifests/model-service.yaml", grep="kind:", stop=2)
    assert shown.data.startswith("`cluster/manifests/model-service.yaml`")
    assert "```yaml\nkind: Service" in shown.data
    assert helpers.lab.read_manifest("model-deployment.yaml")["kind"] == "Deployment"


def test_one_per_node_leaves_one_pending_until_the_taint_is_tolerated(deployed):
    """Required anti-affinity and the control-plane taint both filter nodes
    (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/)."""
    spread = helpers.lab.one_per_node("model-spread", replicas=3)
    deployed.apply(spread)
    deployed.sleep(30)
    assert sorted(deployed.pods("app=model-spread")["status"]) == ["Pending", "Running", "Running"]
    message = deployed.events().query("reason == 'FailedScheduling'")["message"].iloc[-1]
    assert "anti-affinity" in message and "untolerated taint" in message
    deployed.delete("deployment", "model-spread")
    spread["spec"]["template"]["spec"]["tolerations"] = [
        {
            "key": "node-role.kubernetes.io/control-plane",
            "operator": "Exists",
            "effect": "NoSchedule",
        }
    ]
    deployed.apply(spread)
    pods = helpers.lab.wait_pods(deployed, "app=model-spread", 3)
    assert pods["node"].nunique() == 3


def test_reset_removes_lab_node_labels(deployed):
    helpers.lab.label_node(deployed, "orchestra-worker", accelerator="gpu")
    assert helpers.lab.node_labels(deployed).set_index("name").loc["orchestra-worker", "labels"]
    helpers.lab.reset(deployed)
    assert not any(helpers.lab.node_labels(deployed)["labels"])


def test_cleanup_stops_the_views_and_servers_of_this_kernel(sim):
    """A lab's cleanup cell works when the cells that made the view or the server never ran
    in this kernel: it finds them itself."""
    import helpers

    view = helpers.ClusterView(sim, background=False)
    server = helpers.lab.local_server("v1", wait=False)
    assert helpers.lab.cleanup(sim) == "cleaned up: no model objects left"
    assert view.stopped and server.process.poll() is not None


def test_cleanup_alone_after_a_restart_connects_and_cleans(monkeypatch):
    monkeypatch.setenv("LAB_BACKEND", "sim")
    monkeypatch.setitem(helpers.lab.session._current, "cluster", None)
    assert helpers.lab.cleanup() == "cleaned up: no model objects left"


def test_workdir_gives_each_file_exercise_its_starting_file_once(tmp_path):
    """05-roll-1, 05-roll-3, 06-sched-1 and 06-sched-2 edit YAML files of their own, copied from the manifest each
    starts from; a student's edit is never overwritten by a later workdir()."""
    work = helpers.lab.workdir(tmp_path / "work")
    canary = (work / "model-canary.yaml").read_text()
    assert canary.startswith("# Exercise 05-roll-1")
    assert yaml.safe_load(canary) == helpers.lab.read_manifest("model-deployment.yaml")
    fixed = work / "model-fixed.yaml"
    assert yaml.safe_load(fixed.read_text()) == helpers.lab.read_manifest("naive/model-naive.yaml")
    fixed.write_text("# mine\n")
    helpers.lab.workdir(tmp_path / "work")
    assert fixed.read_text() == "# mine\n"
    for name, exercise, source in [
        ("model-gpu.yaml", "06-sched-1", "model-deployment.yaml"),
        ("model-spread.yaml", "06-sched-2", "scheduling/model-spread.yaml"),
    ]:
        text = (work / name).read_text()
        assert text.startswith(f"# Exercise {exercise}"), name
        assert yaml.safe_load(text) == helpers.lab.read_manifest(source), name


def test_the_spread_manifest_is_the_course_deployment_with_anti_affinity():
    """scheduling/model-spread.yaml differs from model-deployment.yaml only in its name,
    labels, replicas and a required anti-affinity term on the hostname, so everything the
    course manifest guarantees (probes, the restricted Pod Security Standard) holds for it
    (https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)."""
    spread = helpers.lab.read_manifest("scheduling/model-spread.yaml")
    course = helpers.lab.read_manifest("model-deployment.yaml")
    labels = {"app": "model-spread"}
    course["metadata"].update(name="model-spread", labels=labels)
    course["spec"]["selector"] = {"matchLabels": labels}
    course["spec"]["template"]["metadata"]["labels"] = labels
    term = {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
    course["spec"]["template"]["spec"]["affinity"] = {
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    }
    assert spread == course
    renamed = helpers.lab.one_per_node("lonely", replicas=2)
    assert renamed["spec"]["replicas"] == 2
    (term,) = renamed["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["labelSelector"] == {"matchLabels": {"app": "lonely"}}
