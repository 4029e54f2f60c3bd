"""ConfigMaps and Secrets: what the API server checks and defaults before it stores them.

Their content sits at the top level of the object (``data``, ``binaryData``, ``type``,
``immutable``), not under a spec; the simulator keeps it as the object's ``spec`` internally
and writes it back at the top level. The rules are the API server's validation
(k8s.io/kubernetes pkg/apis/core/validation: ValidateConfigMap, ValidateSecret,
ValidateSecretUpdate):

- a key is ``[-._a-zA-Z0-9]+``, at most 253 characters, not ``.`` or ``..``, and in one of
  ``data`` and ``binaryData`` only; all values together are at most 1 MiB;
- a Secret's ``stringData`` is written into ``data`` (base64), winning over the same key
  there; ``data`` values must be base64; ``type`` defaults to ``Opaque`` and cannot change;
  ``kubernetes.io/tls`` needs ``tls.crt`` and ``tls.key``, ``kubernetes.io/dockerconfigjson``
  needs ``.dockerconfigjson``;
- once ``immutable: true`` is set, the data cannot change and immutable cannot be unset.

(kubernetes.io/docs/concepts/configuration/configmap/, .../configuration/secret/)
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from typing import Any

from helpers.errors import ManifestError

DATA_KINDS = ("ConfigMap", "Secret")
CONTENT = {
    "ConfigMap": ("data", "binaryData", "immutable"),
    "Secret": ("type", "data", "immutable"),
}
MAX_BYTES = 1024 * 1024  # MaxSecretSize, and the ConfigMap's total-size limit
_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
}


def content_of(body: dict[str, Any]) -> dict[str, Any]:
    """The stored content fields of a ConfigMap or Secret body (the simulator's ``spec``)."""
    return {key: body[key] for key in CONTENT[body["kind"]] if key in body}


def _check_key(field: str, key: str) -> None:
    if not _KEY.match(key) or len(key) > 253 or key in (".", ".."):
        raise ManifestError(
            f'{field}[{key}]: Invalid value: "{key}": a valid config key must consist of '
            "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
            "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "Rename the key: letters, digits, '-', '_' and '.' only.",
        )


def _base64(field: str, value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as err:
        raise ManifestError(
            f"{field}: illegal base64 data ({err})",
            "Secret data values are base64: `echo -n value | base64`, or put the plain "
            "text under stringData instead.",
        ) from None


def admit(obj: dict[str, Any]) -> dict[str, Any]:
    """The content a ConfigMap or Secret document stores (validated, defaulted).

    Raises:
        ManifestError: in the API server's words (the field, the value, the rule).
    """
    kind = obj["kind"]
    data = dict(obj.get("data") or {})
    size = 0
    for key, value in data.items():
        _check_key("data", key)
        size += (
            len(_base64(f"data[{key}]", value)) if kind == "Secret" else len(str(value).encode())
        )
    out: dict[str, Any] = {}
    if kind == "Secret":
        for key, value in (obj.get("stringData") or {}).items():
            _check_key("stringData", key)
            data[key] = base64.b64encode(str(value).encode()).decode()
            size += len(str(value).encode())
        out["type"] = obj.get("type") or "Opaque"
        for key in REQUIRED_KEYS.get(out["type"], ()):
            if key not in data:
                raise ManifestError(
                    f"data[{key}]: Required value",
                    f"A Secret of type {out['type']} needs the keys {', '.join(REQUIRED_KEYS[out['type']])}.",
                )
    else:
        binary = obj.get("binaryData") or {}
        for key, value in binary.items():
            _check_key("binaryData", key)
            if key in data:
                raise ManifestError(
                    f'binaryData[{key}]: Invalid value: "{key}": duplicate of key present in data',
                    "A key goes in data or in binaryData, not both.",
                )
            size += len(_base64(f"binaryData[{key}]", value))
        if binary:
            out["binaryData"] = copy.deepcopy(binary)
    if size > MAX_BYTES:
        raise ManifestError(
            f"data: Too long: must have at most {MAX_BYTES} bytes",
            "Keep configuration small; mount large files from a volume instead.",
        )
    if data:
        out["data"] = data
    if obj.get("immutable") is not None:
        out["immutable"] = bool(obj["immutable"])
    return out


def check_update(kind: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse what an update may not change (ManifestError): a Secret's type, the data of
    an immutable object, or unsetting immutable."""
    if kind == "Secret" and new.get("type") != old.get("type"):
        raise ManifestError(
            f'type: Invalid value: "{new.get("type")}": field is immutable',
            "Delete the Secret and create it again to change its type.",
        )
    if old.get("immutable"):
        if not new.get("immutable"):
            raise ManifestError(
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "Delete the object and create it again (pods read the new one when restarted).",
            )
        for field in ("data", "binaryData"):
            if new.get(field) != old.get(field):
                raise ManifestError(
                    f"{field}: Forbidden: field is immutable when `immutable` is set",
                    "Delete the object and create it again (pods read the new one when restarted).",
                )
