"""The course cluster's settings come from cluster/kind.yaml, the file kind is made from.

kube-controller-manager --node-monitor-grace-period and the kubelet's
nodeLeaseDurationSeconds (renewed every 25 % of it):
https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/
https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/
"""

import pytest

from helpers.core import course
from helpers.sim import nodes


def test_the_simulator_takes_its_node_timings_from_kind_yaml():
    read = course.read()
    assert read.workers == 2
    assert read.node_monitor_grace_period == 20.0  # the classroom knob in kind.yaml
    assert read.node_lease_duration == 20 and read.lease_renew_interval == 5.0
    assert read.node_monitor_grace_period == nodes.GRACE_S
    assert read.lease_renew_interval == nodes.HEARTBEAT_S


def test_a_changed_kind_yaml_changes_the_figures(tmp_path):
    text = course.KIND_CONFIG.read_text().replace("value: 20s", "value: 1m5s")
    text = text.replace("nodeLeaseDurationSeconds: 20", "nodeLeaseDurationSeconds: 40")
    path = tmp_path / "kind.yaml"
    path.write_text(text)
    read = course.read(path)
    assert (read.node_monitor_grace_period, read.lease_renew_interval) == (65.0, 10.0)


def test_without_a_kind_yaml_kubernetes_defaults_apply(tmp_path):
    read = course.read(tmp_path / "absent.yaml")
    assert (read.node_monitor_grace_period, read.node_lease_duration) == (50.0, 40)


@pytest.mark.parametrize(("text", "seconds"), [("20s", 20), ("1m30s", 90), ("500ms", 0.5)])
def test_go_durations(text, seconds):
    assert course._seconds(text) == seconds
