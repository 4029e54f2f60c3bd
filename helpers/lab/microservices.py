"""Lab 08's moves: the model's token Secret, one request through a Service, the gateway's state.

Each is the twin of a kubectl command a student would type, kept to one call per cell:
``create_token`` is ``kubectl create secret generic model-token --from-literal=token=...``,
``ask`` is ``curl -X POST .../predict`` that prints the answer or the error instead of
raising, so a cell that shows a failing service still runs to its end.
(kubernetes.io/docs/concepts/configuration/secret/, cluster/model/README.md)
"""

from __future__ import annotations

import secrets

from orchestra_model.data import sample_rows

from helpers.core.paths import MANIFESTS
from helpers.errors import LabError, NotFound, ServiceUnavailable

# The Secret and key the model and the gateway read MODEL_TOKEN from (lab 08).
TOKEN_SECRET, TOKEN_KEY = "model-token", "token"
TOKEN_ENV = "MODEL_TOKEN"
MICROSERVICES = MANIFESTS / "microservices"
# The model that asks for the token: model-deployment.yaml plus MODEL_TOKEN from the Secret.
MODEL_WITH_TOKEN = "microservices/model-deployment.yaml"
GATEWAY_FILES = ("gateway-config.yaml", "gateway-deployment.yaml", "gateway-service.yaml")


def create_token(cluster, name: str = TOKEN_SECRET) -> None:
    """Create Secret ``name`` holding a random bearer token under key ``token``, once.

    The token is 32 hex characters from ``secrets.token_hex(16)``; it is never printed.
    An existing Secret is kept (so the model and the gateway keep agreeing). kubectl:
    ``kubectl create secret generic model-token --from-literal=token=$(openssl rand -hex 16)``.

    Example:
        >>> helpers.lab.create_token(cluster)
        secret/model-token created: key token, 32 random hex characters (not shown)
    """
    ensure_token(cluster, name)


def ensure_token(cluster, name: str = TOKEN_SECRET, quiet: bool = False) -> bool:
    """Create Secret ``name`` holding a random bearer token under key ``token``, once.

    The token is 32 hex characters from ``secrets.token_hex(16)``; it is never printed.
    An existing Secret is kept (so the model and the gateway keep agreeing).
    Returns True when it created the Secret; ``quiet`` prints nothing. kubectl: ``kubectl create secret generic
    model-token --from-literal=token=$(openssl rand -hex 16)``.

    Example:
        >>> helpers.lab.create_token(cluster)
        secret/model-token created: key token, 32 random hex characters (not shown)
        True
    """
    try:
        cluster.get("Secret", name)
    except NotFound:
        pass
    else:
        if not quiet:
            print(f"secret/{name} is already there: kept (its token is not shown)")
        return False
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "labels": {"app": "model"}},
            "type": "Opaque",
            "stringData": {TOKEN_KEY: secrets.token_hex(16)},
        }
    )
    if not quiet:
        print(f"secret/{name} created: key {TOKEN_KEY}, 32 random hex characters (not shown)")
    return True


def ask(cluster, service: str = "gateway") -> None:
    """POST one /predict to ``service`` and print who answered, or the error it gave.

    A failure prints the status and the service's own words instead of raising, so a cell
    that shows a failing service runs to its end (``cluster.service(name).predict(rows)``
    returns the answer, or raises).

    Example:
        >>> helpers.lab.ask(cluster, "gateway")
        service/gateway answered 200: model v1, pod model-6d4b9c7f5-x2k9p
    """
    try:
        answer = cluster.service(service).predict(sample_rows(1))
    except ServiceUnavailable as err:
        print(err.what)
        return
    except NotFound as err:
        raise LabError(err.what, f"Apply service/{service} first (kubectl get services).") from None
    print(f"service/{service} answered 200: model {answer['version']}, pod {answer['pod']}")


def token_env(container: dict) -> dict | None:
    """The MODEL_TOKEN entry of a container's ``env`` (None when it has none)."""
    return next((e for e in container.get("env") or [] if e.get("name") == TOKEN_ENV), None)


def from_token_secret(entry: dict | None) -> bool:
    """Whether an env entry takes its value from the token Secret's key."""
    ref = ((entry or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
    return ref.get("name") == TOKEN_SECRET and ref.get("key") == TOKEN_KEY
