"""Label selectors match as Kubernetes documents them.

https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
"""

import pytest

from helpers.core import labels
from helpers.errors import ManifestError

POD = {"app": "model", "version": "v2", "canary": "true"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=model", True),
        ("app==model", True),
        ("app!=model", False),
        ("app=model,version=v1", False),
        ("version in (v1, v2)", True),
        ("version notin (v1,v2)", False),
        ("canary", True),
        ("!canary", False),
        ("tier!=cache", True),  # != matches objects without the key
        ({"app": "model"}, True),
        (
            {
                "matchLabels": {"app": "model"},
                "matchExpressions": [{"key": "version", "operator": "In", "values": ["v2"]}],
            },
            True,
        ),
        ({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}, False),
        (None, True),
        ("", True),
    ],
)
def test_selector_matching(selector, expected):
    assert labels.matches(selector, POD) is expected


def test_bad_selector_says_how_to_write_one():
    with pytest.raises(ManifestError, match="app=model"):
        labels.parse("app=model,(")


def test_unknown_operator_is_refused():
    with pytest.raises(ManifestError, match="Gt"):
        labels.parse({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})


def test_to_string_round_trips():
    sel = {
        "matchLabels": {"app": "model"},
        "matchExpressions": [{"key": "version", "operator": "NotIn", "values": ["v1", "v3"]}],
    }
    text = labels.to_string(sel)
    assert text == "app=model,version notin (v1,v3)"
    assert labels.parse(text) == labels.parse(sel)
