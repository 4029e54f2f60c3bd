"""``python -m helpers.kind create|delete|status|tools`` and ``... images build --load``."""

import sys


def _main(argv: list[str]) -> int:
    if argv[:1] == ["images"]:
        from helpers.kind.imagecli import main as images_main

        return images_main(argv[1:])
    from helpers.kind.cluster import main

    return main(argv)


sys.exit(_main(sys.argv[1:]))
