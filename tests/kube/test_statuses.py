"""HTTP answers of the API server mapped to the kit's errors, from their Status objects.

Status codes and reasons: https://kubernetes.io/docs/reference/using-api/api-concepts/#http-status-codes
"""

from __future__ import annotations

import pytest

from helpers.errors import ClusterUnavailable, LabError, ManifestError, NotFound
from helpers.kube.statuses import Gone, Request, error_for

REQ = Request("patch", "Deployment", "model", "default")


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        (401, {"message": "Unauthorized"}, ClusterUnavailable, "401 Unauthorized"),
        (403, {"message": 'User "x" cannot patch resource "deployments"'}, LabError, "patch deployment/model"),
        (404, {"details": {"name": "model", "kind": "deployments"}}, NotFound, "deployment/model"),
        (409, {"message": "the object has been modified"}, LabError, "Conflict"),
        (422, {"details": {"causes": [{"field": "spec.template.spec.containers[0].image", "message": "Required value"}]}}, ManifestError, "spec.template.spec.containers[0].image: Required value"),
        (429, {"message": "too many requests"}, LabError, "too busy"),
        (503, {"message": "etcdserver: leader changed"}, ClusterUnavailable, "etcdserver"),
    ],
)  # fmt: skip
def test_codes_map_to_errors_that_say_what_failed(code, status, kind, words):
    err = error_for(code, status, REQ, "kind-orchestra")
    assert type(err) is kind
    assert words in err.what


def test_403_hint_names_the_permission():
    err = error_for(403, {"message": "forbidden"}, REQ, "ctx")
    assert "permission to patch deployments" in err.hint


def test_410_is_gone_for_the_informer():
    assert isinstance(error_for(410, {}, Request("watch", "Pod"), "ctx"), Gone)


def test_apply_404_distinguishes_missing_namespace_from_unknown_kind():
    apply = Request("apply", "Deployment", "model", "lab9")
    missing_ns = error_for(404, {"details": {"name": "lab9", "kind": "namespaces"}}, apply, "c")
    assert isinstance(missing_ns, NotFound) and "lab9" in missing_ns.what
    unknown = error_for(404, {"message": "the server could not find the requested resource", "details": {}}, apply, "c")  # fmt: skip
    assert isinstance(unknown, ManifestError) and "does not serve" in unknown.what
