"""Opening a kubeconfig context, and probing whether its API server answers.

Nothing here prints or logs the kubeconfig: errors name the file and the context, never
a token, a key or a certificate.
(kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/)
"""

from __future__ import annotations

import os
from pathlib import Path

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.config import ConfigException, kube_config

from helpers.errors import ClusterUnavailable
from helpers.kube.apiserver import ApiServer
from helpers.kube.statuses import Request

# A dead API server must fail fast: connection errors are retried twice, reads never
# (a PATCH or an eviction must not be sent twice behind our back).
RETRIES = urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2)


def kubeconfig_paths(kubeconfig: str | os.PathLike | None = None) -> list[Path]:
    """The kubeconfig files to read: the argument, else $KUBECONFIG, else ~/.kube/config.

    Example:
        >>> kubeconfig_paths("/tmp/kc")
        [PosixPath('/tmp/kc')]
    """
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def open_client(
    context: str, kubeconfig: str | os.PathLike | None = None, retries=RETRIES
) -> ApiClient:
    """An ApiClient for one named context (its own Configuration, no global state).

    Raises:
        ClusterUnavailable: no kubeconfig file, no such context, or an unreadable file.
    """
    paths = [p for p in kubeconfig_paths(kubeconfig) if p.exists()]
    if not paths:
        shown = ", ".join(str(p) for p in kubeconfig_paths(kubeconfig))
        raise ClusterUnavailable(f"No kubeconfig file at {shown}, so no context {context!r}.")
    configuration = Configuration()
    try:
        kube_config.load_kube_config(
            config_file=os.pathsep.join(str(p) for p in paths),
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as err:
        names = _context_names(paths)
        if context not in names:
            raise ClusterUnavailable(
                f"The kubeconfig has no context {context!r} (it has {sorted(names)})."
            ) from None
        # The loader's message may quote file contents; keep only its class of problem.
        raise ClusterUnavailable(
            f"The kubeconfig entry for context {context!r} cannot be used "
            f"({type(err).__name__}): it lacks a server, a certificate or credentials."
        ) from None
    except (OSError, ValueError, TypeError) as err:
        raise ClusterUnavailable(
            f"Cannot read the kubeconfig for context {context!r} ({type(err).__name__})."
        ) from None
    configuration.retries = retries
    return ApiClient(configuration)


def _context_names(paths: list[Path]) -> set[str]:
    import yaml

    names: set[str] = set()
    for path in paths:
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        names.update(c.get("name", "") for c in doc.get("contexts") or [] if isinstance(c, dict))
    return names


def probe(context: str, timeout: float = 2.0, kubeconfig=None) -> tuple[bool, str]:
    """Whether the API server of ``context`` answers (authenticated) within ``timeout`` s.

    Never raises: any failure is ``(False, "<short reason a student understands>")``.

    Example:
        >>> probe("kind-orchestra")
        (False, "the kubeconfig has no context 'kind-orchestra'")
    """
    try:
        client = open_client(context, kubeconfig, retries=False)
    except ClusterUnavailable as err:
        return False, err.what[:1].lower() + err.what[1:].rstrip(".")
    except Exception as err:  # never raise: connect() calls this on every start
        return False, f"the kubeconfig cannot be read ({type(err).__name__})"
    api = ApiServer(client, context, timeout=timeout)
    try:
        # /version needs authentication as soon as credentials are sent, so a revoked
        # token answers 401 here (anonymous access does not apply to failed credentials).
        info = api.request("GET", "/version", Request("get", "Version"), timeout=timeout)
        return True, f"Kubernetes {info.get('gitVersion', '?')} at {api.server}"
    except ClusterUnavailable as err:
        return False, err.what[:1].lower() + err.what[1:].rstrip(".")
    except Exception as err:
        return False, f"the API server gave an unexpected answer ({type(err).__name__})"
    finally:
        client.close()
