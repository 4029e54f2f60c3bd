"""Where each kind lives in the Kubernetes REST API, for the kube backend.

A fixed table instead of API discovery: the labs use a handful of stable kinds, and a
table keeps every request one round trip (and the fake API server in the tests small).
The table is ``helpers.core.kinds``, shared with the simulator and the notebook kubectl.
(kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris)
"""

from __future__ import annotations

from helpers.core.kinds import KINDS, Kind, find
from helpers.errors import ManifestError


def resource_for(kind: str, api_version: str | None = None) -> Kind:
    """The Kind for any name kubectl accepts, checking ``api_version`` if given.

    Raises:
        ManifestError: an unknown kind, or an apiVersion the kind is not served as.

    Example:
        >>> resource_for("deploy").plural
        'deployments'
    """
    res = find(kind)
    if res is None:
        known = ", ".join(sorted(KINDS))
        raise ManifestError(
            f"The labs' kube backend does not handle kind {kind!r}.",
            f"Use one of: {known}; or apply this object with kubectl.",
        )
    if api_version is not None and api_version != res.group_version:
        raise ManifestError(
            f"{res.kind} is served as apiVersion {res.group_version!r}, not {api_version!r}.",
            f"Write `apiVersion: {res.group_version}` in the manifest.",
        )
    return res
