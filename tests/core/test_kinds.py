"""The one kinds table, checked against the official Kubernetes client's request paths.

The REST paths are those of kubernetes.io/docs/reference/using-api/api-concepts/
#resource-uris; the ``kubernetes`` Python client is generated from the API server's OpenAPI
document, so each of its operation paths is what a real API server serves.
"""

import re
from pathlib import Path

import kubernetes.client.api
import pytest

from helpers.core import kinds
from helpers.core.kinds import KINDS, canonical_kind, find, lookup

CLIENT_API = Path(kubernetes.client.api.__file__).parent


def client_paths() -> set[str]:
    text = "\n".join(p.read_text() for p in CLIENT_API.glob("*_api.py"))
    return set(re.findall(r"'(/apis?/[^']+)'", text))


PATHS = client_paths()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_served_where_the_official_client_sends_it(kind):
    row = KINDS[kind]

    def template(path: str) -> str:
        return path.replace("NS", "{namespace}").replace("NAME", "{name}")

    if row.namespaced:
        assert template(row.path("NS")) in PATHS
        one = template(row.path("NS", "NAME"))
    else:
        one = template(row.path(name="NAME"))
        # A cluster-scoped kind has no namespaced collection.
        assert f"{row.path()[: -len(row.plural)]}namespaces/{{namespace}}/{row.plural}" not in PATHS
    assert one in PATHS, f"{kind}: {one} is not a path of the official client"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("deploy", "Deployment"),
        ("deployments", "Deployment"),
        ("Deployment", "Deployment"),
        ("deployments.apps", "Deployment"),
        ("po", "Pod"),
        ("svc", "Service"),
        ("no", "Node"),
        ("ns", "Namespace"),
        ("rs", "ReplicaSet"),
        ("hpa", "HorizontalPodAutoscaler"),
        ("pdb", "PodDisruptionBudget"),
        ("ep", "Endpoints"),
        ("ev", "Event"),
        ("cm", "ConfigMap"),
        ("HPA", "HorizontalPodAutoscaler"),
    ],
)
def test_names_kubectl_accepts(name, kind):
    # kubectl api-resources (v1.36) lists these short names and plurals.
    assert lookup(name).kind == kind
    assert canonical_kind(name) == kind


def test_resource_names_as_kubectl_prints_them_in_errors():
    # Error from server (NotFound): deployments.apps "x" not found / pods "x" not found
    assert KINDS["Deployment"].resource == "deployments.apps"
    assert KINDS["Pod"].resource == "pods"
    assert KINDS["HorizontalPodAutoscaler"].group_version == "autoscaling/v2"


def test_unknown_names():
    assert find("widgets") is None
    assert canonical_kind("widget") == "Widget"
    with pytest.raises(KeyError, match="unknown kind 'widgets'"):
        lookup("widgets")


def test_by_path_inverts_path():
    for row in KINDS.values():
        assert kinds.by_path(row.group_version, row.plural) is row
    assert kinds.by_path("apps/v1", "pods") is None


def test_no_other_module_describes_kinds():
    # The table lives once: no other module of the kit spells a plural.group resource name
    # or an alias map of its own.
    root = Path(kinds.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "kinds.py":
            continue
        text = path.read_text()
        if re.search(r'"(deploy|svc|po|hpa|pdb)"\s*:', text) or "deployments.apps" in text:
            offenders.append(str(path.relative_to(root)))
    assert not offenders, offenders
