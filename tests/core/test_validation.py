"""Manifests are refused as kubectl and the API server refuse them (issue 16, items 1-3).

Strict field validation, kubectl's default since 1.27: "unknown or duplicate fields" fail,
and wrong types fail decoding.
https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation
Label values are strings ("Valid label value: must be 63 characters or less ...").
https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
The wording is the API server's: "<Kind> in version "<v>" cannot be handled as a <Kind>: "
(k8s.io/apiserver handlers, transformDecodeError), "strict decoding error: unknown field"
(k8s.io/apimachinery runtime, strictDecodingError), Go's encoding/json UnmarshalTypeError
("json: cannot unmarshal <value> into Go struct field <Struct>.<path> of type <type>"), and
kubectl's client-side metadata decode ("error: unable to decode ...", cli-runtime
metadata_decoder.go) and checkErr ("The Deployment "web" is invalid: ...").
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.core import manifests, openapi, validation
from helpers.errors import ManifestError
from tests.manifests import MANIFESTS, deployment, with_path

ROOT = Path(__file__).resolve().parents[2]
SERVER = 'Error from server (BadRequest): error when creating "STDIN": '
DEPLOY = SERVER + 'Deployment in version "v1" cannot be handled as a Deployment: '
POD = "spec.template.spec"
COURSE = sorted(MANIFESTS.rglob("*.yaml"))


def refusal(doc) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        manifests.load(doc)
    return caught.value


# --- 1. wrong types: decoding fails, naming the Go field and type -------------------------
@pytest.mark.parametrize(
    ("path", "value", "expected", "hint"),
    [
        (
            "spec.selector.matchLabels",
            "app:web",
            "json: cannot unmarshal string into Go struct field LabelSelector"
            ".spec.selector.matchLabels of type map[string]string",
            "space after the colon, matchLabels: {app: web}",
        ),
        (
            f"{POD}.containers.0.resources",
            [{"requests": {"cpu": "100m"}}],
            "json: cannot unmarshal array into Go struct field Container"
            f".{POD}.containers.resources of type v1.ResourceRequirements",
            "one object, not a list",
        ),
        (
            f"{POD}.affinity",
            {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{}]}},
            "json: cannot unmarshal array into Go struct field NodeAffinity"
            f".{POD}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            " of type v1.NodeSelector",
            "one object, not a list",
        ),
        (
            f"{POD}.containers.0.env",
            {"MODEL_FAULT": "none"},
            "json: cannot unmarshal object into Go struct field Container"
            f".{POD}.containers.env of type []v1.EnvVar",
            'put "- " before each item',
        ),
        (
            f"{POD}.nodeSelector",
            "disk=ssd",
            "json: cannot unmarshal string into Go struct field PodSpec"
            f".{POD}.nodeSelector of type map[string]string",
            "one key: value line per entry",
        ),
        (
            f"{POD}.tolerations",
            {"key": "gpu", "operator": "Exists"},
            "json: cannot unmarshal object into Go struct field PodSpec"
            f".{POD}.tolerations of type []v1.Toleration",
            'put "- " before each item',
        ),
        (
            "spec.replicas",
            "3",
            "json: cannot unmarshal string into Go struct field DeploymentSpec"
            ".spec.replicas of type int32",
            "remove the quotes, replicas: 3",
        ),
        (  # a word is not a quoted number: no "remove the quotes" advice
            "spec.replicas",
            "five",
            "json: cannot unmarshal string into Go struct field DeploymentSpec"
            ".spec.replicas of type int32",
            "spec.replicas is a whole number, digits only (no words, units or %): e.g. replicas: 3",
        ),
        (  # a unit: keep the digits
            "spec.revisionHistoryLimit",
            "10 revisions",
            "json: cannot unmarshal string into Go struct field DeploymentSpec"
            ".spec.revisionHistoryLimit of type int32",
            "e.g. revisionHistoryLimit: 10",
        ),
    ],
)
def test_a_wrong_type_is_a_decoding_error_naming_the_field(path, value, expected, hint):
    err = refusal(with_path(deployment(), path, value))
    assert err.what == DEPLOY + expected
    assert hint in err.hint
    assert openapi.field_path([int(p) if p.isdigit() else p for p in path.split(".")]) in err.hint


def test_a_bad_quantity_is_refused_with_the_quantity_parsers_words():
    err = refusal(with_path(deployment(), f"{POD}.containers.0.resources.requests", {"cpu": [1]}))
    assert err.what == DEPLOY + validation.QUANTITY_ERROR
    assert f"{POD}.containers[0].resources.requests.cpu is a quantity" in err.hint


# --- 2. unknown or misplaced fields: strict decoding names every one --------------------------
@pytest.mark.parametrize(
    ("path", "value", "field", "hint"),
    [
        ("metadata.lables", {"app": "web"}, "metadata.lables", "Did you mean labels?"),
        (
            "spec.template.annotations",
            {"team": "ml"},
            "spec.template.annotations",
            "move it to spec.template.metadata.annotations",
        ),
        # Misplaced, found deeper or higher up (students' mistakes in labs 05 and 06).
        (
            "spec.nodeSelector",
            {"accelerator": "gpu"},
            "spec.nodeSelector",
            "belongs in spec.template.spec: move it to spec.template.spec.nodeSelector",
        ),
        (
            f"{POD}.lifecycle",
            {"preStop": {"sleep": {"seconds": 5}}},
            f"{POD}.lifecycle",
            f"move it to {POD}.containers[0].lifecycle",
        ),
        (
            f"{POD}.containers.0.tolerations",
            [],
            f"{POD}.containers[0].tolerations",
            f"belongs in {POD}: move it to {POD}.tolerations",
        ),
        (
            f"{POD}.containers.0.ports.0.containerport",
            8080,
            f"{POD}.containers[0].ports[0].containerport",
            "case-sensitive: write containerPort",
        ),
    ],
)
def test_an_unknown_field_is_a_strict_decoding_error(path, value, field, hint):
    err = refusal(with_path(deployment(), path, value))
    assert err.what == DEPLOY + f'strict decoding error: unknown field "{field}"'
    assert hint in err.hint


def test_every_unknown_field_is_named_in_document_order():
    doc = with_path(deployment(), "spec.template.annotations", {})
    doc = with_path(doc, "metadata.lables", {})
    err = refusal(doc)
    assert err.what.endswith(
        'unknown field "metadata.lables", unknown field "spec.template.annotations"'
    )


def test_a_wrong_type_is_reported_before_unknown_fields():
    doc = with_path(deployment(), "metadata.lables", {})
    doc = with_path(doc, "spec.replicas", "3")
    assert "cannot unmarshal string" in refusal(doc).what


# --- 3. label values are strings -----------------------------------------------------------
def test_a_number_as_a_label_value_is_refused_by_kubectls_metadata_decode():
    err = refusal(with_path(deployment(), "metadata.labels.version", 5))
    assert err.what == (
        'error: unable to decode "STDIN": json: cannot unmarshal number into Go struct field '
        "ObjectMeta.metadata.labels of type string"
    )
    assert (
        err.hint == 'labels are strings: quote the value, version: "5" (metadata.labels.version).'
    )


def test_a_number_as_a_template_label_is_refused_by_the_server():
    err = refusal(with_path(deployment(), "spec.template.metadata.labels.version", 5))
    assert err.what == DEPLOY + (
        "json: cannot unmarshal number into Go struct field ObjectMeta"
        ".spec.template.metadata.labels of type string"
    )
    assert 'version: "5"' in err.hint


def test_a_file_is_named_as_kubectl_names_it(tmp_path: Path):
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(with_path(deployment(), "spec.foo", 1)))
    assert refusal(tmp_path / "web.yaml").what.startswith(
        'Error from server (BadRequest): error when creating "web.yaml": '
    )


# --- missing required fields: validation, as kubectl prints an Invalid status --------------
def test_a_missing_required_field_is_invalid():
    doc = deployment()
    del doc["spec"]["selector"]
    err = refusal(doc)
    assert err.what == 'The Deployment "web" is invalid: spec.selector: Required value'
    assert "kubectl explain deployment.spec.selector" in err.hint


def test_several_missing_fields_are_listed_one_per_line():
    doc = deployment()
    del doc["spec"]["selector"], doc["spec"]["template"]["spec"]["containers"][0]["name"]
    lines = refusal(doc).what.splitlines()
    assert lines[0] == 'The Deployment "web" is invalid: '
    assert sorted(lines[1:]) == [
        "* spec.selector: Required value",
        f"* {POD}.containers[0].name: Required value",
    ]


def test_unknown_kinds_are_left_to_the_backends():
    manifests.load({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "x": 1})


# --- what the course applies still passes ----------------------------------------------------
def lab_yaml() -> list[str]:
    """The YAML texts the labs' Markdown passes to cluster.apply."""
    texts = []
    for md in sorted((ROOT / "labs" / "src").glob("*.md")):
        texts += re.findall(r'apply\("""\n(.*?)"""\)', md.read_text(), re.S)
    return texts


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_the_course_manifests_pass(path):
    assert manifests.load(path)


def test_the_yaml_in_the_labs_passes():
    texts = lab_yaml()
    assert texts  # the lab 02 Pod at least
    for text in texts:
        assert manifests.load(text)


def test_the_schemas_are_the_kits_kubernetes_minor():
    lock = (ROOT / "cluster" / "tools.lock").read_text()
    kubectl = re.search(r'\[kubectl\][^\[]*?version = "v(\d+\.\d+)', lock, re.S).group(1)
    assert openapi.KUBERNETES_VERSION.startswith(kubectl + ".")


def test_the_shape_cache_is_sound_for_these_schemas():
    """The cache keys on keys and JSON types only: true while the schemas check no value
    but the apiVersion and kind enums (no pattern, minimum, maxLength ...)."""
    seen, enums = set(), set()

    def keywords(node, name=""):
        for k, v in node.items():
            seen.add(k)
            if k == "enum":
                enums.add(name)
            if k in ("properties", "$defs"):
                for prop, sub in v.items():
                    keywords(sub, prop)
            elif isinstance(v, dict) and not k.startswith("x-kubernetes"):
                keywords(v, name)

    keywords(openapi._definitions())
    checks = {k for k in seen if not k.startswith("x-kubernetes")}
    assert checks <= {
        "type", "properties", "additionalProperties", "items", "required", "oneOf", "enum",
        "format", "description", "$ref", "$defs", "$schema", "$id",
    }, checks  # fmt: skip
    assert enums == {"apiVersion", "kind"}


# --- property: no malformed course manifest gets past without a ManifestError naming the field
def paths(node, prefix=()):
    """Every path to a value in a document."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


def json_kind(value) -> str:
    return openapi.json_kind(value)


OTHER_VALUES = ["x", 5, 1.5, True, [1], {"a": 1}, ["x"], {"name": "x"}]
DOCS = [d for p in COURSE for d in manifests.load(p)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.sampled_from(DOCS),
    pick=st.integers(min_value=0),
    mutation=st.sampled_from(["type", "unknown", "delete"]),
    value=st.sampled_from(OTHER_VALUES),
    key=st.sampled_from(["foo", "lables", "Replicas", "containerport", "annotations", "image"])
    | st.text(min_size=1, max_size=8),
)
def test_a_malformed_course_manifest_is_refused_naming_the_field(doc, pick, mutation, value, key):
    doc = copy.deepcopy(doc)
    spots = [p for p in paths(doc) if p]
    if mutation == "unknown":
        spots = [p for p in [(), *spots] if isinstance(get(doc, p), dict)]
    path = spots[pick % len(spots)]
    if mutation == "type":
        if json_kind(value) == json_kind(get(doc, path)):
            return
        get(doc, path[:-1])[path[-1]] = value
    elif mutation == "delete":
        del get(doc, path[:-1])[path[-1]]
    else:
        if key in get(doc, path):
            return
        get(doc, path)[key] = value
        path = (*path, key)
    try:
        manifests.load(doc)
    except ManifestError as err:
        text = str(err)
        named = path[0] if path[0] in ("apiVersion", "kind") else openapi.field_path(path)
        assert named in text, (path, text)


def get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def test_an_env_entry_written_under_env_from_is_told_to_move_to_env():
    """An item of another list of the same object (name + valueFrom: an env entry, under
    envFrom) is refused field by field by the API server; the hint moves the whole item,
    instead of moving one field into envFrom's configMapRef (which would name a ConfigMap
    MODEL_TOKEN). (kubernetes.io/docs/reference/using-api/api-concepts/#field-validation)"""
    doc = deployment()
    doc["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"name": "MODEL_TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "token"}}}
    ]
    err = refusal(doc)
    assert 'unknown field "spec.template.spec.containers[0].envFrom[0].name"' in err.what
    assert err.hint == (
        "This entry (name, valueFrom) is an item of env, not of envFrom: move it under "
        "spec.template.spec.containers[0].env."
    )
