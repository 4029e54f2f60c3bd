"""The API server's credentials: a self-signed certificate, a bearer token, a kubeconfig.

All three are made fresh at every start and live only in memory and in the kubeconfig
file (mode 0600): the token is never logged or printed, so a notebook's output or a
test log never carries it.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import secrets
import ssl
import tempfile
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NAME = "orchestra-sim"


def new_token() -> str:
    """A random bearer token (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def self_signed(host: str = "127.0.0.1") -> tuple[bytes, bytes]:
    """A P-256 key and a one-day certificate for ``host`` (an IP SAN), both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # small clock skews
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        # Go's TLS stack accepts a self-signed leaf as its own root only if it may sign.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS server context; ssl loads keys only from files, so they pass through a
    private temporary directory that is removed at once."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert_file.write_bytes(cert_pem)
        _write_private(key_file, key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


def write_kubeconfig(path: str | os.PathLike, url: str, token: str, ca_pem: bytes | None) -> Path:
    """Write a kubeconfig with cluster, context and user ``orchestra-sim`` (mode 0600).

    Example:
        >>> write_kubeconfig("sim.kubeconfig", "https://127.0.0.1:6443", token, ca_pem)
        PosixPath('sim.kubeconfig')
    """
    cluster: dict = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": cluster}],
        "users": [{"name": NAME, "user": {"token": token}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME}}],
        "current-context": NAME,
        "preferences": {},
    }
    path = Path(path)
    _write_private(path, yaml.safe_dump(config, sort_keys=False).encode())
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Create or truncate ``path`` readable by its owner only, before any byte is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.chmod(path, 0o600)  # an existing file keeps its mode under O_CREAT
        os.write(fd, data)
    finally:
        os.close(fd)
