"""The recording inside a saved notebook's picture, with a small script that replays it.

A notebook viewer that runs scripts (nbviewer, JupyterLab on a trusted notebook) turns the
static picture into the replay: slider, play and speed, as in the live widget. GitHub runs
no script and shows the picture. After the picture come three tags: the recording
(gzip-compressed JSON in base64url: no "/", so it never looks like a path), the replay
code packed the same way (clusterdraw.js, the widget's own drawing code, and
clusterstatic.js), and a small loader (clusterload.js) that unpacks both with the
browser's built-in DecompressionStream: no network, no library.

Everything added starts at ``MARK``, so a notebook comparison can ignore it
(labs/nbval-sanitize.cfg) and compare the picture alone.
"""

from __future__ import annotations

import base64
import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from helpers.views.timecodec import json_size
from helpers.views.timeline import Timeline

HERE = Path(__file__).parent
MARK = "<!--cv-replay-->"
# 120 kB of recording at most in one picture: with the picture (about 20 kB), the style
# and the packed code (about 8 kB) an output stays under tools/build_labs.py's 200,000
# characters.
EMBED_MAX_CHARS = 120_000


def _slim(js: str) -> str:
    # Whole-line comments and indentation go; no template literal spans lines in these files.
    lines = (line.strip() for line in js.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


@cache
def replay_script() -> str:
    """The replay code for a saved page (read once): the body of an async function.

    Example:
        >>> "new Recording(" in replay_script()
        True
    """
    parts = [
        (HERE / name).read_text(encoding="utf-8") for name in ("clusterdraw.js", "clusterstatic.js")
    ]
    return "return (async () => {\n" + _slim("\n".join(parts)) + "\n})();"


@cache
def _packed_code() -> str:
    return _pack_bytes(replay_script().encode())


@cache
def _loader() -> str:
    return _slim((HERE / "clusterload.js").read_text(encoding="utf-8"))


def _pack_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()


def pack(data: dict[str, Any]) -> str:
    """A recording as the page carries it: compact JSON, gzip (no timestamp), base64url."""
    return _pack_bytes(json.dumps(data, separators=(",", ":")).encode())


def unpack(text: str) -> dict[str, Any]:
    """The recording ``pack`` made (to read a saved notebook's recording in Python)."""
    return json.loads(gzip.decompress(base64.urlsafe_b64decode(text.strip())))


def embedded(html: str) -> dict[str, Any] | None:
    """The recording inside a picture's HTML (None if it carries none).

    Example:
        >>> Timeline.from_export(embedded(view.to_html())).at(30.0) == view.at(30.0)
        True
    """
    start = html.find('<script type="application/octet-stream" class="cv-rec">')
    if start < 0:
        return None
    start = html.index(">", start) + 1
    return unpack(html[start : html.index("</script>", start)])


def replay_html(timeline: Timeline, max_chars: int = EMBED_MAX_CHARS) -> str:
    """The recording and its replay script, to follow ``render_html``'s picture.

    Older history is compacted (timeline.py) until the packed recording fits ``max_chars``.

    Example:
        >>> html = render_html(state) + replay_html(view.timeline)
    """
    data = timeline.export()
    packed = pack(data)
    while len(packed) > max_chars:
        # Shrink the JSON by the share the packed form is over, and a little more.
        smaller = int(json_size(data) * max_chars / len(packed) * 0.9)
        fitted = timeline.export(max_bytes=smaller)
        if json_size(fitted) >= json_size(data):
            break  # only the first picture is left
        data, packed = fitted, pack(fitted)
    css = (HERE / "clusterreplay.css").read_text(encoding="utf-8")
    return (
        f"{MARK}<style>{css}</style>"
        f'<script type="application/octet-stream" class="cv-rec">{packed}</script>'
        f'<script type="application/octet-stream" class="cv-code">{_packed_code()}</script>'
        f"<script>{_loader()}</script>"
    )
