"""The HPA on the real simulated cluster: scale up under load, down after 300 s, no metrics.

https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
"""

import itertools

import pytest
import yaml

import helpers
from helpers.errors import ManifestError
from tests.manifests import MANIFESTS


def replicas(cluster):
    return cluster.get("Deployment", "model")["spec"]["replicas"]


def rescales(cluster):
    return [e for e in cluster.event_rows() if e["reason"] == "SuccessfulRescale"]


def conditions(cluster):
    status = cluster.get("HorizontalPodAutoscaler", "model")["status"]
    return {c["type"]: c for c in status.get("conditions", [])}


def deploy_with_hpa(cluster):
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(MANIFESTS / "model-hpa.yaml")
    cluster.wait_rollout("model", timeout=300)


def test_idle_deployment_goes_to_min_replicas(cluster):
    deploy_with_hpa(cluster)
    cluster.wait(lambda c: replicas(c) == 2, timeout=120, what="the HPA to scale to minReplicas")
    event = rescales(cluster)[-1]
    assert event["object"] == "horizontalpodautoscaler/model"
    assert event["time"] % 15 == 0  # created at 0, synced every 15 s
    assert event["message"] == "New size: 2; reason: All metrics below target"
    status = cluster.get("HorizontalPodAutoscaler", "model")["status"]
    assert status["desiredReplicas"] == 2 and "lastScaleTime" in status
    assert conditions(cluster)["ScalingActive"]["reason"] == "ValidMetricFound"


def test_scales_up_under_load_then_down_after_the_stabilization_window(cluster):
    deploy_with_hpa(cluster)
    cluster.wait(lambda c: replicas(c) == 2, timeout=120, what="the HPA to settle at 2")
    with cluster.traffic("model", rps=250):
        start = cluster.now()
        cluster.wait(lambda c: replicas(c) > 2, timeout=60, what="a scale-up")
        up = rescales(cluster)[-1]
        assert up["message"].endswith(
            "reason: cpu resource utilization (percentage of request) above target"
        )
        assert up["time"] - start <= 45  # a 15 s window of load, then the next 15 s sync
        # Default behaviour: at most max(+100 %, +4 pods) per 15 s: from 2, 6 at most.
        assert up["message"].startswith("New size: 6;")
        limited = conditions(cluster)["ScalingLimited"]
        assert (limited["status"], limited["reason"]) == ("True", "ScaleUpLimit")
        cluster.sleep(120)
        peak = replicas(cluster)
        # 250 req/s x 2 ms = 0.5 cores over 70 % of 100m per pod: 8 pods.
        assert 7 <= peak <= 9
        metric = cluster.get("HorizontalPodAutoscaler", "model")["status"]["currentMetrics"][0]
        assert metric["resource"]["current"]["averageUtilization"] > 50
    stopped = cluster.now()
    # Scale-down waits for the window of recommendations made while loaded: the course's
    # HPA sets behavior.scaleDown.stabilizationWindowSeconds to 60 (the default is 300).
    cluster.sleep(45)
    assert replicas(cluster) == peak
    assert conditions(cluster)["AbleToScale"]["reason"] == "ScaleDownStabilized"
    cluster.wait(lambda c: replicas(c) == 2, timeout=120, what="the scale-down")
    down = rescales(cluster)[-1]
    assert down["message"] == "New size: 2; reason: All metrics below target"
    assert 60 <= down["time"] - stopped <= 60 + 15 + 15  # the window, a sync, the metrics


def test_behavior_overrides_window_and_rate(cluster):
    # No stabilization and one pod per 15 s on the way down:
    # https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
    text = yaml.safe_load((MANIFESTS / "model-hpa.yaml").read_text())
    text["spec"]["behavior"] = {
        "scaleDown": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 15}],
        }
    }
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.apply(MANIFESTS / "model-deployment.yaml")
    cluster.apply(text)
    cluster.wait_rollout("model", timeout=300)
    with cluster.traffic("model", rps=250):
        cluster.sleep(120)
    peak, stopped = replicas(cluster), cluster.now()
    assert peak >= 6
    cluster.wait(lambda c: replicas(c) == 2, timeout=300, what="the scale-down")
    downs = [e for e in rescales(cluster) if e["time"] > stopped]
    sizes = [int(e["message"].split(";")[0].split()[-1]) for e in downs]
    assert sizes == list(range(peak - 1, 1, -1))  # one pod at a time
    gaps = {b["time"] - a["time"] for a, b in itertools.pairwise(downs)}
    assert gaps == {15.0}
    assert downs[0]["time"] - stopped <= 30  # no 300 s window


def test_without_cpu_requests_the_hpa_cannot_act(cluster):
    # "<unknown>": utilization needs requests; the HPA takes no action.
    cluster.apply(MANIFESTS / "model-service.yaml")
    cluster.apply(MANIFESTS / "naive" / "model-naive.yaml")
    cluster.apply(MANIFESTS / "model-hpa.yaml")
    cluster.wait_rollout("model", timeout=300)
    cluster.sleep(60)
    assert replicas(cluster) == 3 and rescales(cluster) == []
    active = conditions(cluster)["ScalingActive"]
    assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container model" in active["message"]
    warnings = [e for e in cluster.event_rows() if e["reason"] == "FailedGetResourceMetric"]
    assert warnings and {e["type"] for e in warnings} == {"Warning"}
    assert "missing request for cpu" in warnings[-1]["message"]
    # One event per new message, not one per 15 s sync (a real Event counts repeats).
    assert len({e["message"] for e in warnings}) == len(warnings)
    assert not cluster.get("HorizontalPodAutoscaler", "model")["status"].get("currentMetrics")


def test_replicas_outside_min_max_are_brought_back(cluster):
    deploy_with_hpa(cluster)
    cluster.sleep(60)
    cluster.scale("model", 15)
    cluster.wait(lambda c: replicas(c) == 10, timeout=20, what="the HPA to enforce maxReplicas")
    assert rescales(cluster)[-1]["message"] == (
        "New size: 10; reason: Current number of replicas above Spec.MaxReplicas"
    )


def test_a_missing_target_is_reported_not_ignored(cluster):
    cluster.apply(MANIFESTS / "model-hpa.yaml")
    cluster.sleep(30)
    able = conditions(cluster)["AbleToScale"]
    assert (able["status"], able["reason"]) == ("False", "FailedGetScale")
    warnings = [e for e in cluster.event_rows() if e["reason"] == "FailedGetScale"]
    assert len(warnings) == 1 and 'deployments.apps "model" not found' in warnings[0]["message"]
    # Once the Deployment exists the HPA picks it up at its next sync.
    deploy_with_hpa(cluster)
    cluster.sleep(15)
    assert conditions(cluster)["AbleToScale"]["status"] == "True"


def test_an_hpa_the_simulator_cannot_honour_is_refused(cluster):
    text = (MANIFESTS / "model-hpa.yaml").read_text().replace("name: cpu", "name: memory")
    with pytest.raises(ManifestError, match=r"spec.metrics\[0\].resource.name"):
        cluster.apply(text)


def test_same_seed_same_autoscaling_story():
    def story():
        with helpers.connect("sim", seed=5) as c:
            deploy_with_hpa(c)
            with c.traffic("model", rps=200):
                c.sleep(90)
            c.sleep(400)
            return c.event_rows(), c.get("HorizontalPodAutoscaler", "model")["status"]

    first, second = story(), story()
    assert any(e["reason"] == "SuccessfulRescale" for e in first[0])
    assert first == second
