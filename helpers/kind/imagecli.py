"""`make images`: build the model images, then load them into kind or push them.

    python -m helpers.kind images build --load              # build v1-v3, load into kind "orchestra"
    python -m helpers.kind images build --versions v1 v2    # build some only
    python -m helpers.kind images build --push              # push to $LAB_REGISTRY instead
    python -m helpers.kind images load                      # load already built images

Offline (no registry for the base image) set ``LAB_BASE_IMAGE`` to a local base image and,
on an engine without bridge networking, ``LAB_BUILD_NETWORK=host``.

Example:
    >>> from helpers.kind.imagecli import main
    >>> main(["build", "--versions", "v1"])
    0
"""

from __future__ import annotations

import argparse
import os
import sys

from helpers.errors import LabError


def _print(line: str, fraction: float) -> None:
    print(f"[images {fraction:4.0%}] {line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit 1 with the next step on failure."""
    from helpers.kind import images

    parser = argparse.ArgumentParser(prog="python -m helpers.kind images", description=__doc__)
    parser.add_argument("command", choices=["build", "load", "push"])
    parser.add_argument("--versions", nargs="+", default=list(images.VERSIONS))
    parser.add_argument("--base-image", default=os.environ.get("LAB_BASE_IMAGE") or None)
    parser.add_argument("--network", default=os.environ.get("LAB_BUILD_NETWORK") or None)
    parser.add_argument("--load", action="store_true", help="load into the kind cluster")
    parser.add_argument("--push", action="store_true", help="push to $LAB_REGISTRY")
    parser.add_argument("--cluster", default="orchestra")
    args = parser.parse_args(argv)
    tags = [f"{images.REPOSITORY}:{v}" for v in args.versions]
    try:
        if args.command == "build":
            tags = images.build(args.versions, args.base_image, _print, network_mode=args.network)
        if args.command == "load" or args.load:
            route = images.load_into_kind(tags, args.cluster, _print)
            print(f"loaded {len(tags)} images into {args.cluster!r} ({route})")
        if args.command == "push" or args.push:
            for ref in images.push(tags, progress=_print):
                print(f"pushed {ref}")
    except LabError as err:
        print(f"error: {err.what}\nnext: {err.hint}", file=sys.stderr)
        return 1
    return 0
