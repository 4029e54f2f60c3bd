"""A view state as self-contained HTML: what a saved notebook shows on GitHub or nbviewer.

The markup uses the classes of ``clusterview.js`` and the same stylesheet, so the static
picture looks like the live widget's last frame. No script, no network.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from typing import Any

CSS_PATH = Path(__file__).with_name("clusterview.css")
UNSCHEDULED_TITLE = "unscheduled (Pending)"


@cache
def stylesheet() -> str:
    """The widget's CSS (read once), for a ``<style>`` block.

    Example:
        >>> ".cv-pod" in stylesheet()
        True
    """
    return CSS_PATH.read_text(encoding="utf-8")


def node_order(node: dict[str, Any]) -> tuple:
    """Control-plane nodes first, then by name (the order the widget uses too).

    Example:
        >>> sorted(state["nodes"].values(), key=node_order)[0]["role"]
        'control-plane'
    """
    return (node["role"] != "control-plane", node["name"])


def pod_title(pod: dict[str, Any]) -> str:
    """The tooltip of a chip: everything a student might want to know about the pod.

    Example:
        >>> pod_title(state["pods"]["default/model-7c9d5-abcde"]).splitlines()[1]
        'status: Running'
    """
    endpoint = "yes" if pod["endpoint"] else "no"
    return (
        f"{pod['name']}\nstatus: {pod['status']}\nversion: {pod['version']}\n"
        f"node: {pod['node'] or '(none)'}\nrestarts: {pod['restarts']}\nendpoint: {endpoint}"
    )


def pod_html(pod: dict[str, Any]) -> str:
    """One chip (a ``div.cv-pod``, coloured by version, classed by state).

    Example:
        >>> pod_html(state["pods"]["default/model-7c9d5-abcde"])[:20]
        '<div class="cv-pod c'
    """
    classes = ["cv-pod", f"cv-s-{pod['state']}"]
    classes += ["cv-failed"] * pod["failed"] + ["cv-endpoint"] * pod["endpoint"]
    return (
        f'<div class="{" ".join(classes)}" data-pod="{escape(pod["key"])}" '
        f'data-state="{escape(pod["state"])}" data-version="{escape(pod["version"])}" '
        f'style="--v:{pod["color"]}" '
        f'title="{escape(pod_title(pod))}">'
        f'<span class="cv-pod-name">{escape(pod["version"])} · {escape(pod["short"])}</span>'
        f'<span class="cv-pod-state">{escape(pod["label"])}</span></div>'
    )


def _pods_html(pods: list[dict[str, Any]]) -> str:
    return '<div class="cv-pods">' + "".join(map(pod_html, pods)) + "</div>"


def _resource(label: str, res: dict[str, Any]) -> str:
    over = " cv-over" if res["over"] else ""
    return (
        f'<div class="cv-res"><span>{label}</span><div class="cv-bar">'
        f'<div class="cv-bar-fill{over}" style="width:{res["frac"] * 100:.1f}%"></div></div>'
        f'<span class="cv-res-text">{escape(res["text"])}</span></div>'
    )


def node_html(node: dict[str, Any], pods: list[dict[str, Any]]) -> str:
    """One node box with its pods.

    Example:
        >>> node_html(state["nodes"]["orchestra-worker"], [])[:21]
        '<div class="cv-node c'
    """
    cordoned = " cv-cordoned" if node["cordoned"] else ""
    pill = '<span class="cv-pill cv-pill-cordoned">cordoned</span>' if node["cordoned"] else ""
    return (
        f'<div class="cv-node cv-n-{node["ready"]}{cordoned}" data-node="{escape(node["name"])}">'
        f'<div class="cv-node-head"><span class="cv-node-name">{escape(node["name"])}</span>'
        f'<span class="cv-role">{escape(node["role"])}</span>'
        f'<span class="cv-pill cv-pill-{node["ready"]}">{node["ready"]}</span>{pill}</div>'
        f"{_resource('CPU', node['cpu'])}{_resource('MEM', node['memory'])}"
        f"{_pods_html(pods)}</div>"
    )


def deployment_bars(dep: dict[str, Any]) -> dict[str, float]:
    """Widths in percent: new-template pods, old pods, the desired tick, available replicas.

    Example:
        >>> deployment_bars({"desired": 3, "updated": 1, "available": 3, "total": 4})["old"]
        75.0
    """
    scale = max(dep["desired"], dep["total"], 1)
    updated = min(dep["updated"], scale)
    return {
        "updated": round(100 * updated / scale, 1),
        "old": round(100 * min(max(dep["total"] - dep["updated"], 0), scale - updated) / scale, 1),
        "desired": round(100 * dep["desired"] / scale, 1),
        "available": round(100 * min(dep["available"], scale) / scale, 1),
    }


def deployment_html(dep: dict[str, Any]) -> str:
    """One rollout bar: new pods (version colour), old pods (grey), available below.

    Example:
        >>> deployment_html(state["deployments"]["default/model"])[:20]
        '<div class="cv-dep" '
    """
    w = deployment_bars(dep)
    return (
        f'<div class="cv-dep" data-dep="{escape(dep["key"])}" style="--v:{dep["color"]}">'
        f'<div class="cv-dep-title"><b>deployment/{escape(dep["name"])}</b> '
        f'<span class="cv-vtag">{escape(dep["version"])}</span>'
        f'<span class="cv-verdict cv-verdict-{dep["verdict"]}">{dep["verdict"]}</span></div>'
        f'<div class="cv-dep-bars"><div class="cv-dep-bar">'
        f'<div class="cv-seg cv-seg-updated" style="width:{w["updated"]}%"></div>'
        f'<div class="cv-seg cv-seg-old" style="width:{w["old"]}%"></div>'
        f'<div class="cv-desired" style="left:calc({w["desired"]}% - 2px)"></div></div>'
        f'<div class="cv-dep-avail"><div class="cv-dep-avail-fill" style="width:{w["available"]}%">'
        f"</div></div></div>"
        f'<div class="cv-dep-text">desired {dep["desired"]} · updated {dep["updated"]} · '
        f"available {dep['available']} · total {dep['total']}</div></div>"
    )


def _legend(state: dict[str, Any]) -> str:
    versions = "".join(
        f'<span class="cv-legend-item"><span class="cv-swatch" style="background:{v["color"]}">'
        f"</span>{escape(v['version'])}</span>"
        for v in state["versions"]
    )
    keys = "".join(
        f'<span class="cv-legend-item"><span class="cv-key cv-k-{k}"></span>{text}</span>'
        for k, text in (
            ("ready", "Ready"),
            ("notready", "not Ready"),
            ("pending", "Pending"),
            ("failed", "failing"),
            ("terminating", "terminating"),
            ("endpoint", "Service endpoint"),
        )
    )
    return f'<div class="cv-legend">{versions}{keys}</div>'


def _events(events: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr class="cv-ev-{escape(e["type"])}" title="{escape(e["message"])}">'
        f'<td class="cv-ev-time">{e["time"]:.1f} s</td>'
        f'<td class="cv-ev-reason">{escape(e["reason"])}</td>'
        f'<td class="cv-ev-object">{escape(e["object"])}</td><td>{escape(e["message"])}</td></tr>'
        for e in reversed(events)
    )
    return (
        '<div class="cv-events"><div class="cv-events-head">latest events</div>'
        f"<table><tbody>{rows}</tbody></table></div>"
    )


def render_html(state: dict[str, Any], with_style: bool = True) -> str:
    """The whole view state as one HTML fragment (a ``<style>`` block included by default).

    Example:
        >>> html = render_html(view_state(cluster.snapshot()))
        >>> "simulated cluster" in html
        True
    """
    header = state["header"]
    by_node: dict[str, list[dict[str, Any]]] = {name: [] for name in state["nodes"]}
    lane: list[dict[str, Any]] = []
    for pod in sorted(state["pods"].values(), key=lambda p: p["name"]):
        by_node.get(pod["node"], lane).append(pod)
    badge = '<span class="cv-sim-badge">simulator</span>' if header["simulated"] else ""
    stopped = '<span class="cv-stopped">stopped following</span>' if state["stopped"] else ""
    nodes = "".join(
        node_html(n, by_node[n["name"]]) for n in sorted(state["nodes"].values(), key=node_order)
    )
    empty = "" if lane else " cv-lane-empty"
    body = (
        f'<div class="cv-root"><div class="cv-header"><span class="cv-title">'
        f"{escape(header['title'])}</span>{badge}"
        f'<span class="cv-clock">t = {header["time"]:.1f} s</span>{stopped}</div>'
        f"{_legend(state)}"
        f'<div class="cv-deployments">{"".join(map(deployment_html, state["deployments"].values()))}</div>'
        f'<div class="cv-lane{empty}"><div class="cv-lane-head">{UNSCHEDULED_TITLE}</div>'
        f"{_pods_html(lane)}</div>"
        f'<div class="cv-nodes">{nodes}</div>{_events(state["events"])}</div>'
    )
    return f"<style>{stylesheet()}</style>{body}" if with_style else body
