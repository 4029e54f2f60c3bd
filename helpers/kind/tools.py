"""The kind, kubectl and helm binaries: on PATH or in ./bin, else fetched pinned and verified.

`cluster/tools.lock` pins each tool's version, download URL and SHA-256 per OS/arch. A
download is installed into ./bin only when its SHA-256 matches the lock; a mismatch deletes
the file, and a platform with no checksum in the lock is refused: the kit never runs a
binary it could not verify. A tool shipped as a .tar.gz (helm) is verified as the archive
its publisher checksums, then only its ``member`` binary is unpacked into ./bin.

Example:
    >>> from helpers.kind.tools import ensure_tool
    >>> ensure_tool("kind")              # ./bin/kind, or kind on PATH, or a verified download
    '/home/me/orchestra/bin/kind'
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from helpers.core.paths import BIN_DIR, REPO
from helpers.errors import ChecksumMismatch, ToolMissing

LOCK_PATH = REPO / "cluster" / "tools.lock"
TOOLS = ("kind", "kubectl", "helm")
# 120 s: kind (~10 MB), kubectl (~60 MB) or helm (~20 MB) on a slow classroom Wi-Fi.
DOWNLOAD_TIMEOUT = 120.0
INSTALL_HINTS = {
    "kind": "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": "https://kubernetes.io/docs/tasks/tools/",
    "helm": "https://helm.sh/docs/intro/install/",
}
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def load_lock(path: Path = LOCK_PATH) -> dict:
    """The parsed cluster/tools.lock (TOML).

    Example:
        >>> load_lock()["kind"]["version"]
        'v0.32.0'
    """
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def host_platform(system: str | None = None, machine: str | None = None) -> str:
    """This machine as the lock's key, e.g. ``"linux-amd64"`` or ``"darwin-arm64"``.

    Example:
        >>> host_platform("Linux", "x86_64")
        'linux-amd64'
    """
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    return f"{system}-{ARCH_NAMES.get(machine, machine)}"


def find_tool(name: str, bin_dir: Path = BIN_DIR) -> str | None:
    """The tool in ./bin (where `make cluster` installs pinned copies), else on PATH."""
    local = Path(bin_dir) / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _missing(name: str, why: str) -> ToolMissing:
    return ToolMissing(
        f"{name} is not installed and {why}.",
        f"Install {name} yourself ({INSTALL_HINTS.get(name, 'see its official page')}) and "
        'run `make cluster` again, or use the simulator: helpers.connect("sim").',
    )


def fetch_tool(
    name: str,
    bin_dir: Path = BIN_DIR,
    lock: dict | None = None,
    plat: str | None = None,
    timeout: float = DOWNLOAD_TIMEOUT,
) -> str:
    """Download the pinned ``name`` into ``bin_dir`` and install it only if its SHA-256 matches.

    Raises:
        ToolMissing: no checksum for this platform (refused), or the download failed (offline).
        ChecksumMismatch: the bytes differ from the lock; the partial file is deleted.

    Example:
        >>> fetch_tool("kubectl")
        '/home/me/orchestra/bin/kubectl'
    """
    lock = lock if lock is not None else load_lock()
    plat = plat or host_platform()
    entry = lock[name]
    expected = entry.get("sha256", {}).get(plat)
    if not expected:
        raise _missing(
            name,
            f"cluster/tools.lock has no verified checksum for {plat}, so the kit refuses to "
            "download an unverifiable binary",
        )
    system, arch = plat.split("-", 1)
    url = entry["url"].format(version=entry["version"], os=system, arch=arch)
    bin_dir = Path(bin_dir)
    bin_dir.mkdir(parents=True, exist_ok=True)
    partial = bin_dir / f".{name}.download"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        partial.unlink(missing_ok=True)
        raise _missing(name, f"downloading {entry['version']} from {url} failed ({err})") from err
    observed = sha256_of(partial)
    if observed != expected:
        partial.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"Refused {name} {entry['version']} from {url}: its SHA-256 is {observed}, "
            f"cluster/tools.lock expects {expected}; the file was deleted."
        )
    target = bin_dir / name
    if "member" in entry:
        _unpack(partial, entry["member"].format(os=system, arch=arch), target, name)
        return str(target)
    partial.chmod(0o755)
    partial.replace(target)
    return str(target)


def _unpack(archive: Path, member: str, target: Path, name: str) -> None:
    """Write ``member`` of the verified .tar.gz ``archive`` to ``target``; delete the archive.

    Only that one regular file is read, and written to a path of our choosing, so no name
    inside the archive can place a file anywhere else.
    """
    partial = target.with_name(f".{name}.unpacked")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            info = tar.getmember(member)
            source = tar.extractfile(info) if info.isfile() else None
            if source is None:
                raise KeyError(member)
            with source, open(partial, "wb") as out:
                shutil.copyfileobj(source, out)
    except (KeyError, tarfile.TarError, OSError) as err:
        partial.unlink(missing_ok=True)
        raise _missing(name, f"its verified archive has no file {member} ({err})") from None
    finally:
        archive.unlink(missing_ok=True)
    partial.chmod(0o755)
    partial.replace(target)


def ensure_tool(name: str, bin_dir: Path = BIN_DIR, lock: dict | None = None) -> str:
    """Path of ``name``: ./bin, then PATH, else a verified pinned download into ./bin.

    Example:
        >>> ensure_tool("kind")
        '/usr/local/bin/kind'
    """
    return find_tool(name, bin_dir) or fetch_tool(name, bin_dir, lock)


def install_pinned(
    bin_dir: Path = BIN_DIR, lock: dict | None = None, plat: str | None = None
) -> dict[str, str]:
    """Put the locked kind, kubectl and helm into ./bin even if others are on PATH (CI, Codespaces).

    A copy already in ./bin with the locked checksum is kept (for a tool shipped in an
    archive, whose checksum is the archive's: one that reports the locked version); anything
    else is replaced by a verified download.

    Example:
        >>> install_pinned()
        {'kind': '/home/me/orchestra/bin/kind', 'kubectl': '/home/me/orchestra/bin/kubectl', ...}
    """
    lock = lock if lock is not None else load_lock()
    plat = plat or host_platform()
    installed = {}
    for name in TOOLS:
        target = Path(bin_dir) / name
        expected = lock[name].get("sha256", {}).get(plat)
        if "member" in lock[name]:
            kept = target.is_file() and tool_version(str(target)) == lock[name]["version"]
        else:
            kept = bool(expected) and target.is_file() and sha256_of(target) == expected
        if kept:
            installed[name] = str(target)
        else:
            installed[name] = fetch_tool(name, bin_dir, lock, plat)
    return installed


def tool_version(path: str) -> str | None:
    """The ``vX.Y.Z`` a tool reports (`kind version`, `kubectl version --client`), or None."""
    args = [path, "version"] + (["--client"] if Path(path).name == "kubectl" else [])
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"v\d+\.\d+\.\d+", out)
    return match.group(0) if match else None


def ensure_pinned_kind(bin_dir: Path = BIN_DIR, lock: dict | None = None, report=None) -> str:
    """kind at the locked version: the one found if it matches, else a verified download.

    kind supports a node image only with the release that built it, so another kind
    version would fail on cluster/kind.yaml's image in confusing ways.

    Example:
        >>> ensure_pinned_kind()
        '/home/me/orchestra/bin/kind'
    """
    lock = lock if lock is not None else load_lock()
    wanted = lock["kind"]["version"]
    found = find_tool("kind", bin_dir)
    if found:
        version = tool_version(found)
        if version == wanted:
            return found
        if report:
            report(f"{found} is kind {version or '(unknown version)'}; fetching {wanted}", 0.07)
    try:
        return fetch_tool("kind", bin_dir, lock)
    except ToolMissing as err:
        if not found:
            raise
        raise ToolMissing(
            f"{found} is kind {version or '(unknown version)'}, but the course's node image "
            f"needs kind {wanted}, and fetching it failed ({err.what})",
            f"Install kind {wanted} ({INSTALL_HINTS['kind']}) or put it in ./bin, then run "
            "`make cluster` again.",
        ) from err
