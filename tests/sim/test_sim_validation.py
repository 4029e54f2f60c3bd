"""The simulator refuses malformed manifests with a ManifestError, never a crash (issue 16).

Wrong types once crashed admission (AttributeError, TypeError); now Kubernetes' schema
refuses them first, as the API server does.
(kubernetes.io/docs/reference/using-api/api-concepts/#field-validation)
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.core import manifests
from helpers.errors import LabError, ManifestError
from helpers.sim import SimCluster
from tests.core.test_validation import DOCS, OTHER_VALUES, get, paths
from tests.manifests import deployment, with_path

POD = "spec.template.spec"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.selector.matchLabels", "app:web"),
        (f"{POD}.containers.0.resources", [{"requests": {"cpu": "100m"}}]),
        (
            f"{POD}.affinity",
            {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []}},
        ),
        (f"{POD}.containers.0.env", {"A": "1"}),
        (f"{POD}.nodeSelector", "disk=ssd"),
        (f"{POD}.tolerations", {"key": "gpu"}),
        ("metadata.labels.version", 5),
    ],
)
def test_the_inputs_that_crashed_are_refused(sim, path, value):
    with pytest.raises(ManifestError, match="cannot unmarshal"):
        sim.apply(with_path(deployment(), path, value))
    assert sim.list_objects("Deployment") == []


def test_patches_are_checked_too(sim):
    sim.apply(deployment())
    with pytest.raises(
        ManifestError, match=re.escape("DeploymentSpec.spec.replicas of type int32")
    ):
        sim.patch("Deployment", "web", {"spec": {"replicas": "5"}})
    with pytest.raises(ManifestError, match=re.escape('unknown field "spec.replica"')):
        sim.patch("Deployment", "web", {"spec": {"replica": 5}})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.sampled_from(DOCS),
    pick=st.integers(min_value=0),
    mutation=st.sampled_from(["type", "delete"]),
    value=st.sampled_from(OTHER_VALUES),
)
def test_a_malformed_course_manifest_never_crashes_the_simulator(doc, pick, mutation, value):
    doc = copy.deepcopy(doc)
    path = [p for p in paths(doc) if p][pick % sum(1 for p in paths(doc) if p)]
    if mutation == "type":
        get(doc, path[:-1])[path[-1]] = value
    else:
        del get(doc, path[:-1])[path[-1]]
    sim = SimCluster(seed=0, workers=2)
    try:
        if doc.get("kind") == "HorizontalPodAutoscaler":
            sim.apply(manifests.load(DOCS[0]))  # its target
        sim.apply(doc)
    except LabError as err:
        assert err.hint
    finally:
        sim.close()
