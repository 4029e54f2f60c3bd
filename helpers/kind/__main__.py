"""``python -m helpers.kind create|delete|status|tools``, ``... images build --load`` and
``... config [--out PATH]``, ``... registry start|stop`` (the kind config for this host, see helpers.kind.config)."""

import sys


def _main(argv: list[str]) -> int:
    if argv[:1] == ["config"]:
        from helpers.kind.config import main as config_main

        return config_main(argv[1:])
    if argv[:1] == ["images"]:
        from helpers.kind.imagecli import main as images_main

        return images_main(argv[1:])
    if argv[:1] == ["registry"]:
        from helpers.kind.registry import main as registry_main

        return registry_main(argv[1:])
    from helpers.kind.cluster import main

    return main(argv)


sys.exit(_main(sys.argv[1:]))
