"""Generate helpers/sim/httpapi/protobuf_schema.py from the Kubernetes API's Go types.

The simulator's API server reads the protobuf bodies typed clients send (kubectl create
deployment, create service, autoscale, create pdb; helm's Secrets). Each Go field of the
API types carries the facts the decoder needs in its struct tags: the protobuf field number
and wire type (``protobuf:"bytes,3,opt,name=template"``) and the JSON name and
``omitempty`` (``json:"template,omitempty"``); the Go type says whether it is a pointer
(a zero value that was set stays in the JSON) and what it holds. This reads those tags from
``types.go`` of k8s.io/api and k8s.io/apimachinery (the versions in the Go module cache that
the offline builder fills: cluster/offline) and writes the table. Run it again when the
kit's Kubernetes version moves:

    python tools/gen_protobuf_schema.py [--mod ~/.cache/orchestra-offline/<hash>/go/mod]

Why our own reader: no maintained Python package carries Kubernetes' protobuf schema, and
the .proto files lack what JSON needs (pointer or not, omitempty).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "helpers" / "sim" / "httpapi" / "protobuf_schema.py"
API_VERSION = "v0.36.1"  # k8s.io/api and k8s.io/apimachinery for Kubernetes v1.36.1
# package alias as the Go files import it -> the module folder's types.go
PACKAGES = {
    "core": "api@{v}/core/v1/types.go",
    "apps": "api@{v}/apps/v1/types.go",
    "autoscaling": "api@{v}/autoscaling/v2/types.go",
    "policy": "api@{v}/policy/v1/types.go",
    "meta": "apimachinery@{v}/pkg/apis/meta/v1/types.go",
}
# Import paths -> our package names, to resolve qualified Go types (v1.PodTemplateSpec).
IMPORTS = {
    "k8s.io/api/core/v1": "core",
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta",
}
# The kinds whose bodies are read, and the messages the decoder reads natively.
ROOTS = ["core.Pod", "core.Service", "core.Secret", "core.ConfigMap", "core.Namespace",
         "apps.Deployment", "apps.ReplicaSet", "autoscaling.HorizontalPodAutoscaler",
         "policy.PodDisruptionBudget", "policy.Eviction", "meta.DeleteOptions"]  # fmt: skip
NATIVE = {
    "meta.Time": "time", "meta.MicroTime": "time", "meta.Duration": "duration",
    "intstr.IntOrString": "intorstring", "resource.Quantity": "quantity",
    "meta.FieldsV1": "fieldsv1", "runtime.RawExtension": "rawextension",
}  # fmt: skip

STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.S | re.M)
NAMED = re.compile(r"^type (\w+) (map\[[^\]]+\]\S+|\[\]\S+|string|int32|int64|bool)\s*$", re.M)
# A field line: ``Name Type `tags` `` or an embedded ``pkg.Type `tags` `` (ObjectMeta).
FIELD = re.compile(r"^[ \t]*([A-Za-z]\S*)(?:[ \t]+(\S+))?[ \t]+`([^`]*)`", re.M)
TAG = re.compile(r'(\w+):"([^"]*)"')
IMPORT = re.compile(r'^\s*(\w+)?\s*"([^"]+)"\s*$', re.M)


def parse(package: str, text: str, named: dict, structs: dict) -> None:
    """Fill ``named`` (Go named types) and ``structs`` (message -> fields) from one file."""
    aliases = {}
    block = re.search(r"^import \((.*?)^\)", text, re.S | re.M)
    for alias, path in IMPORT.findall(block.group(1) if block else ""):
        aliases[alias or path.rsplit("/", 1)[-1]] = IMPORTS.get(path, path.rsplit("/", 1)[-1])
    for name, base in NAMED.findall(text):
        named[f"{package}.{name}"] = (base, package, aliases)
    for name, body in STRUCT.findall(text):
        fields = []
        for first, second, tags in FIELD.findall(body):
            go_name, go_type = (first, second) if second else (first.split(".")[-1], first)
            tag = dict(TAG.findall(tags))
            if "protobuf" not in tag or "json" not in tag:
                continue
            fields.append((go_name, go_type, tag))
        structs[f"{package}.{name}"] = (fields, package, aliases)


def qualify(go_type: str, package: str, aliases: dict) -> str:
    """``v1.PodTemplateSpec`` in apps -> ``core.PodTemplateSpec``; ``Container`` -> ``core.Container``."""
    if "." in go_type:
        alias, _, name = go_type.partition(".")
        return f"{aliases.get(alias, alias)}.{name}"
    return f"{package}.{go_type}"


def kind_of(go_type: str, wire: str, package: str, aliases: dict, named: dict) -> str:
    """The decoder's type for a Go type: string, bytes, int, bool, double, msg:<m>,
    map:<value kind>, rep:<kind>; a slice's or map's element resolved the same way."""
    t = go_type.lstrip("*")
    if t == "[]byte":
        return "bytes"
    if t.startswith("[]"):
        return "rep:" + kind_of(t[2:], wire, package, aliases, named)
    if t.startswith("map["):
        value = t[t.index("]") + 1 :]
        return "map:" + kind_of(value, "bytes", package, aliases, named)
    if t in ("string", "types.UID"):
        return "string"
    if t in ("bool",):
        return "bool"
    if t in ("int32", "int64", "int", "uint32", "uint64"):
        return "int"
    if t in ("float64", "float32"):
        return "double"
    full = qualify(t, package, aliases)
    if full in NATIVE:
        return NATIVE[full]
    if full in named:
        base, pkg, als = named[full]
        return kind_of(base, wire, pkg, als, named)
    return "msg:" + full


def generate(mod: Path) -> str:
    named: dict = {}
    structs: dict = {}
    for package, rel in PACKAGES.items():
        path = mod / "k8s.io" / rel.format(v=API_VERSION)
        parse(package, path.read_text(), named, structs)
    table: dict[str, dict[int, tuple]] = {}
    todo = list(ROOTS)
    while todo:
        message = todo.pop()
        if message in table:
            continue
        if message not in structs:
            raise SystemExit(f"no Go struct {message}: add its package to PACKAGES")
        fields, package, aliases = structs[message]
        entry = {}
        for _, go_type, tag in fields:
            wire, number = tag["protobuf"].split(",")[:2]
            json_name, *options = tag["json"].split(",")
            kind = kind_of(go_type, wire, package, aliases, named)
            flags = "".join(
                flag
                for flag, on in (("p", go_type.startswith("*")), ("o", "omitempty" in options))
                if on
            )
            entry[int(number)] = (json_name, kind, flags)
            for part in kind.split(":"):
                if "." in part:
                    todo.append(part)
        table[message] = entry
    lines = [
        '"""The protobuf fields of the API types the simulator reads: GENERATED, do not edit.',
        "",
        f"Made by tools/gen_protobuf_schema.py from k8s.io/api and apimachinery {API_VERSION}",
        "types.go. message -> {field number: (JSON name, type, flags)}; flags: p = a Go pointer",
        "(a zero value on the wire stays in the JSON), o = omitempty (a zero value is left out).",
        '"""',
        "",
        "# fmt: off",
        "SCHEMA: dict[str, dict[int, tuple[str, str, str]]] = {",
    ]
    for message in sorted(table):  # double quotes: the file is as ruff format leaves it
        lines.append(f'    "{message}": {{')
        for number in sorted(table[message]):
            name, kind, flags = table[message][number]
            lines.append(f'        {number}: ("{name}", "{kind}", "{flags}"),')
        lines.append("    },")
    lines += ["}", "# fmt: on"]
    return "\n".join(lines) + "\n"


def default_mod() -> Path | None:
    found = sorted(glob.glob(os.path.expanduser("~/.cache/orchestra-offline/*/go/mod")))
    return Path(found[-1]) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mod", type=Path, default=default_mod(), help="a Go module cache")
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    if args.mod is None:
        raise SystemExit("no Go module cache: run make offline-tools, or pass --mod")
    text = generate(args.mod)
    if args.check:
        return 0 if OUT.read_text() == text else 1
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
