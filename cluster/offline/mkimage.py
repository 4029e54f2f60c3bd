"""Write a one-layer OCI image archive from a few files, without Docker or a registry.

The offline node image needs the images kubeadm and kind ask for (kube-apiserver, etcd,
coredns, pause, ...) in containerd's store; each is a static binary plus a handful of
files, so a layer is written directly and packed as an OCI image layout tar, which
``ctr images import`` reads. The output is reproducible: sorted entries, mtime 0, uid 0.

    python3 mkimage.py --name registry.k8s.io/pause:3.10.2 --out pause.tar \\
        --add bin/pause:/pause --entrypoint /pause
"""

import argparse
import hashlib
import io
import json
import os
import tarfile
from pathlib import PurePosixPath

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What a container expects to find even when it ships one binary: users for runAsUser
# lookups (65532 is the "nonroot" user of the distroless images kubeadm normally runs),
# a writable /tmp and TLS roots for the few images that call out.
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"


def _info(name: str, kind: bytes, mode: int, size: int = 0, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.lstrip("/"))
    info.type, info.mode, info.size, info.linkname = kind, mode, size, link
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def layer_bytes(adds: list[tuple[str, str]], links: list[tuple[str, str]]) -> bytes:
    """An uncompressed layer tar: the given files, their parent directories and links."""
    entries: dict[str, tuple] = {}

    def parents(path: str) -> None:
        for parent in reversed(PurePosixPath(path).parents):
            if str(parent) != "/":
                entries.setdefault(str(parent), ("dir", 0o755))

    for src, dest in adds:
        parents(dest)
        mode = 0o755 if os.access(src, os.X_OK) else 0o644
        entries[dest] = ("file", mode, src)
    for dest, target in links:
        parents(dest)
        entries[dest] = ("link", 0o777, target)
    for dest, text in (("/etc/passwd", PASSWD), ("/etc/group", GROUP)):
        parents(dest)
        entries.setdefault(dest, ("text", 0o644, text))
    entries.setdefault("/tmp", ("dir", 0o1777))
    entries.setdefault("/home/nonroot", ("dir", 0o755))
    parents("/home/nonroot")

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dest in sorted(entries):
            kind, mode, *rest = entries[dest]
            if kind == "dir":
                tar.addfile(_info(dest, tarfile.DIRTYPE, mode))
            elif kind == "link":
                tar.addfile(_info(dest, tarfile.SYMTYPE, mode, link=rest[0]))
            elif kind == "text":
                data = rest[0].encode()
                tar.addfile(_info(dest, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))
            else:
                with open(rest[0], "rb") as handle:
                    size = os.fstat(handle.fileno()).st_size
                    tar.addfile(_info(dest, tarfile.REGTYPE, mode, size), handle)
    return out.getvalue()


def blob(tar: tarfile.TarFile, data: bytes, media_type: str) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    tar.addfile(
        _info(f"blobs/sha256/{digest}", tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data)
    )
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def write_image(args: argparse.Namespace) -> None:
    adds = [tuple(spec.split(":", 1)) for spec in args.add]
    links = [tuple(spec.split(":", 1)) for spec in args.link]
    layer = layer_bytes(adds, links)
    config = {
        "architecture": args.arch,
        "os": "linux",
        "config": {
            "Env": [f"PATH={PATH}", *args.env],
            **({"Entrypoint": args.entrypoint} if args.entrypoint else {}),
            **({"Cmd": args.cmd} if args.cmd else {}),
            **({"User": args.user} if args.user else {}),
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [
            {"created_by": "cluster/offline/mkimage.py", "created": "1970-01-01T00:00:00Z"}
        ],
        "created": "1970-01-01T00:00:00Z",
    }
    with tarfile.open(args.out, "w", format=tarfile.PAX_FORMAT) as tar:
        layer_desc = blob(tar, layer, "application/vnd.oci.image.layer.v1.tar")
        config_desc = blob(
            tar,
            json.dumps(config, sort_keys=True).encode(),
            "application/vnd.oci.image.config.v1+json",
        )
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_desc,
            "layers": [layer_desc],
        }
        manifest_desc = blob(
            tar,
            json.dumps(manifest, sort_keys=True).encode(),
            "application/vnd.oci.image.manifest.v1+json",
        )
        manifest_desc["platform"] = {"architecture": args.arch, "os": "linux"}
        # ctr names the image after io.containerd.image.name; other tools read ref.name.
        manifest_desc["annotations"] = {
            "io.containerd.image.name": args.name,
            "org.opencontainers.image.ref.name": args.name.rsplit(":", 1)[-1],
        }
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [manifest_desc],
        }
        for name, data in (
            ("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
            ("index.json", json.dumps(index, sort_keys=True).encode()),
        ):
            tar.addfile(_info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))


def build_parser() -> argparse.ArgumentParser:
    """The command line (also what tests call write_image with)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--name", required=True, help="full reference, e.g. registry.k8s.io/pause:3.10.2"
    )
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--add", action="append", default=[], help="SRC:DEST, a file into the layer"
    )
    parser.add_argument("--link", action="append", default=[], help="DEST:TARGET, a symlink")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--entrypoint", nargs="*")
    parser.add_argument("--cmd", nargs="*")
    parser.add_argument("--user")
    parser.add_argument("--arch", default="amd64")
    return parser


def main() -> None:
    write_image(build_parser().parse_args())


if __name__ == "__main__":
    main()
