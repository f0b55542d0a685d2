"""The process map as SVG: activities as boxes, directly-follows edges as arrows, laid out in layers.

Two views, as process-mining users expect them:

* ``frequency``: node and edge labels are counts; edge width and node shade grow with volume;
* ``performance``: edge labels are the waiting time between the two activities (mean by default,
  or median / p90), coloured from green (fast) to red (slow) by rank, so bottlenecks stand out;
  node labels give the count and, when known, the mean service time.

The input is plain data (``MapNode``, ``MapEdge``), so any DFG computed by ``liucheng.mining``
or elsewhere can be drawn. The output is one self-contained SVG string (no scripts, no external
fonts), safe to embed in HTML: every text is escaped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape

from liucheng.mining._layered import GraphLayout, LayoutEdge, layered_layout

if TYPE_CHECKING:
    from liucheng.mining.dfg import Dfg

START = "\x01start"
END = "\x01end"
NODE_H = 46.0
MIN_NODE_W = 110.0
MAX_NODE_W = 240.0
FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif"
#: Green to red for the performance view (fast to slow).
_RAMP = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
_TEXT = {
    "en": {"start": "start", "end": "end", "cases": "cases", "frequency": "frequency: events and transitions",
           "performance": "performance: {stat} waiting time between activities (green fast, red slow)"},
    "zh": {"start": "开始", "end": "结束", "cases": "案件", "frequency": "频次：事件数与转移次数",
           "performance": "性能：活动之间的{stat}等待时间（绿快红慢）"},
}
_STAT_ZH = {"mean": "平均", "median": "中位", "p90": "P90"}


@dataclass(frozen=True, slots=True)
class MapNode:
    id: str
    count: int
    label: str | None = None
    #: Mean service (processing) time in seconds, when start/complete pairs exist.
    service_s: float | None = None


@dataclass(frozen=True, slots=True)
class MapEdge:
    source: str
    target: str
    count: int
    #: Waiting time in seconds between the two events (mean, median, p90), when computed.
    mean_s: float | None = None
    median_s: float | None = None
    p90_s: float | None = None


View = Literal["frequency", "performance"]
Stat = Literal["mean", "median", "p90"]


def render_svg(
    nodes: Sequence[MapNode],
    edges: Sequence[MapEdge],
    *,
    starts: Mapping[str, int] | None = None,
    ends: Mapping[str, int] | None = None,
    view: View = "frequency",
    stat: Stat = "mean",
    lang: Literal["en", "zh"] = "en",
    title: str | None = None,
) -> str:
    """The map as an SVG document.

    ``starts``/``ends`` are the start and end activities with their case counts (drawn from and
    to the start and end markers). Edges naming activities that are not in ``nodes`` raise
    ``ValueError``.
    """
    if view not in ("frequency", "performance"):
        raise ValueError(f"view must be 'frequency' or 'performance', not {view!r}")
    if stat not in ("mean", "median", "p90"):
        raise ValueError(f"stat must be 'mean', 'median' or 'p90', not {stat!r}")
    text = _TEXT["zh" if lang == "zh" else "en"]
    starts, ends = dict(starts or {}), dict(ends or {})
    by_id = {n.id: n for n in nodes}
    for edge in edges:
        for end in (edge.source, edge.target):
            if end not in by_id:
                raise ValueError(f"edge {edge.source!r} -> {edge.target!r} names an activity with no node: {end!r}")
    ids = [START] + [n.id for n in nodes] + [END]
    sizes: dict[str, tuple[float, float]] = {START: (28.0, 28.0), END: (28.0, 28.0)}
    for node in nodes:
        sizes[node.id] = (_node_width(node.label or node.id), NODE_H)
    weighted = [(e.source, e.target, float(e.count)) for e in edges]
    weighted += [(START, a, float(c)) for a, c in starts.items() if a in by_id]
    weighted += [(a, END, float(c)) for a, c in ends.items() if a in by_id]
    layout = layered_layout(ids, weighted, sizes=sizes, gap_x=36, gap_y=64, margin=30)

    max_edge = max([e.count for e in edges] + list(starts.values()) + list(ends.values()) + [1])
    max_node = max([n.count for n in nodes] + [1])
    colour = _performance_colours(edges, stat) if view == "performance" else {}
    legend_h = 26.0
    legend = text[view].format(stat=_STAT_ZH[stat] if lang == "zh" else stat)
    width = max(layout.width + 60.0, _text_width(legend) + 40.0, _text_width(title or "") * 1.3 + 40.0)
    height = layout.height + legend_h + (24.0 if title else 0.0)
    top = legend_h + (24.0 if title else 0.0)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="{FONT}" font-size="12" role="img">',
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>',
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    if title:
        out.append(f'<text x="12" y="20" font-size="15" font-weight="600">{escape(title)}</text>')
    out.append(f'<text x="12" y="{top - 8:.0f}" fill="#555">{escape(legend)}</text>')
    out.append(f'<g transform="translate(0,{top:.0f})">')
    layout_edges = {(e.source, e.target): e for e in layout.edges}
    # Returns (rework) bow out to the right, each a little further so they do not overlap.
    bows = {key: 28.0 + 16.0 * k for k, key in enumerate(k for k, e in layout_edges.items() if e.reversed)}
    for edge in edges:
        key = (edge.source, edge.target)
        drawn = layout_edges[key]
        stroke = colour.get(key, "#5b6f8a")
        label = _edge_label(edge, view, stat)
        out.append(_edge_svg(drawn, layout, sizes, edge.count, max_edge, stroke, label, edge, bow=bows.get(key, 0.0)))
    for marker, counts in ((START, starts), (END, ends)):
        for activity, count in counts.items():
            if activity not in by_id:
                continue
            key = (START, activity) if marker == START else (activity, END)
            drawn = layout_edges[key]
            out.append(_edge_svg(drawn, layout, sizes, count, max_edge, "#9aa5b1", str(count), None, dashed=True))
    for node in nodes:
        out.append(_node_svg(node, layout, sizes, max_node, view, text))
    for marker, fill, name in ((START, "#2e7d32", text["start"]), (END, "#c62828", text["end"])):
        x, y = layout.centres[marker]
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="13" fill="{fill}"><title>{escape(name)}</title></circle>')
    out.append("</g></svg>")
    return "\n".join(out)


def _text_width(label: str) -> float:
    """Rough width at 12 px: CJK characters are square, Latin ones about 0.6 em."""
    return sum(12.0 if ord(ch) > 0x2E80 else 7.0 for ch in label)


def _node_width(label: str) -> float:
    return min(max(_text_width(label) + 20, MIN_NODE_W), MAX_NODE_W)


def _fit(label: str, width: float) -> str:
    if _text_width(label) + 16 <= width:
        return label
    out = ""
    for ch in label:
        if _text_width(out + ch + "…") + 16 > width:
            break
        out += ch
    return out + "…"


def format_seconds(seconds: float | None) -> str:
    """Short human duration: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None or math.isnan(seconds):
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _stat_value(edge: MapEdge, stat: Stat) -> float | None:
    return {"mean": edge.mean_s, "median": edge.median_s, "p90": edge.p90_s}[stat]


def _edge_label(edge: MapEdge, view: View, stat: Stat) -> str:
    if view == "frequency":
        return str(edge.count)
    return format_seconds(_stat_value(edge, stat))


def _performance_colours(edges: Sequence[MapEdge], stat: Stat) -> dict[tuple[str, str], str]:
    """Colour by rank of the waiting time, so one extreme edge does not wash out the rest."""
    valued = sorted(
        ((v, (e.source, e.target)) for e in edges if (v := _stat_value(e, stat)) is not None and not math.isnan(v)),
        key=lambda item: item[0],
    )
    out: dict[tuple[str, str], str] = {}
    n = len(valued)
    for rank, (_, key) in enumerate(valued):
        share = rank / (n - 1) if n > 1 else 0.0
        out[key] = _RAMP[min(int(share * len(_RAMP)), len(_RAMP) - 1)]
    return out


def _edge_svg(
    drawn: LayoutEdge,
    layout: GraphLayout,
    sizes: Mapping[str, tuple[float, float]],
    count: int,
    max_count: int,
    stroke: str,
    label: str,
    edge: MapEdge | None,
    *,
    dashed: bool = False,
    bow: float = 0.0,
) -> str:
    width = 1.0 + 5.0 * math.sqrt(count / max_count)
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    tip = escape(f"{drawn.source.lstrip(chr(1))} → {drawn.target.lstrip(chr(1))}: {count}")
    if edge is not None and edge.mean_s is not None:
        tip += escape(
            f" · mean {format_seconds(edge.mean_s)} · median {format_seconds(edge.median_s)}"
            f" · p90 {format_seconds(edge.p90_s)}"
        )
    if drawn.source == drawn.target:  # self-loop on the right side of the box
        x, y = layout.centres[drawn.source]
        right = x + sizes[drawn.source][0] / 2
        path = (
            f"M{right:.1f},{y - 10:.1f} C{right + 34:.1f},{y - 26:.1f} "
            f"{right + 34:.1f},{y + 26:.1f} {right:.1f},{y + 10:.1f}"
        )
        lx, ly = right + 36, y + 4
    else:
        points = _clip(drawn.points, drawn.source, drawn.target, layout, sizes)
        if drawn.reversed:
            # A return (rework): leave and enter on the right side and bow out beside the flow.
            (x1, y1), (x2, y2) = drawn.points[0], drawn.points[-1]
            r1, r2 = x1 + sizes[drawn.source][0] / 2, x2 + sizes[drawn.target][0] / 2
            middle = [(px + bow, py) for px, py in drawn.points[1:-1]]
            side = max([r1, r2] + [px for px, _ in middle]) + bow
            if not middle:
                middle = [(side, (y1 + y2) / 2)]
            points = [(r1, y1), *middle, (r2, y2)]
            path = _side_path(points, side)
            return _edge_group(tip, path, stroke, width, dash, (side + 4, (y1 + y2) / 2), label)
        path = _smooth_path(points)
        mid = points[len(points) // 2] if len(points) > 2 else (
            (points[0][0] + points[-1][0]) / 2, (points[0][1] + points[-1][1]) / 2
        )
        lx, ly = mid[0] + 6, mid[1]
    return _edge_group(tip, path, stroke, width, dash, (lx, ly), label)


def _edge_group(tip: str, path: str, stroke: str, width: float, dash: str, at: tuple[float, float],
                label: str) -> str:
    return (
        f'<g class="edge"><title>{tip}</title>'
        f'<path d="{path}" fill="none" stroke="{stroke}" stroke-width="{width:.1f}"{dash} '
        f'marker-end="url(#arrow)" opacity="0.85"/>'
        f'<text x="{at[0]:.1f}" y="{at[1]:.1f}" fill="#333" font-size="11" paint-order="stroke" '
        f'stroke="#fff" stroke-width="3">{escape(label)}</text></g>'
    )


def _side_path(points: Sequence[tuple[float, float]], side: float) -> str:
    """From the source's right side out to ``side``, up along it, back into the target's right side."""
    (x1, y1), (x2, y2) = points[0], points[-1]
    return (
        f"M{x1:.1f},{y1:.1f} C{side:.1f},{y1:.1f} {side:.1f},{y1:.1f} {side:.1f},{(y1 + y2) / 2:.1f} "
        f"C{side:.1f},{y2:.1f} {side:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )


def _clip(points: Sequence[tuple[float, float]], source: str, target: str, layout: GraphLayout,
          sizes: Mapping[str, tuple[float, float]]) -> list[tuple[float, float]]:
    """Start and end the line on the boxes' top/bottom edges instead of their centres."""
    pts = list(points)
    (sx, sy), (tx, ty) = pts[0], pts[-1]
    sh, th = sizes[source][1] / 2, sizes[target][1] / 2
    down = pts[1][1] >= sy if len(pts) > 1 else ty >= sy
    pts[0] = (sx, sy + sh if down else sy - sh)
    before = pts[-2][1] if len(pts) > 1 else sy
    pts[-1] = (tx, ty - th if before <= ty else ty + th)
    return pts


def _smooth_path(points: Sequence[tuple[float, float]]) -> str:
    """A vertical-tangent cubic through each consecutive pair: clean S-curves between layers."""
    (x0, y0) = points[0]
    out = [f"M{x0:.1f},{y0:.1f}"]
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        dy = (y2 - y1) / 2
        out.append(f"C{x1:.1f},{y1 + dy:.1f} {x2:.1f},{y2 - dy:.1f} {x2:.1f},{y2:.1f}")
    return " ".join(out)


def _node_svg(node: MapNode, layout: GraphLayout, sizes: Mapping[str, tuple[float, float]], max_count: int,
              view: View, text: Mapping[str, str]) -> str:
    x, y = layout.centres[node.id]
    w, h = sizes[node.id]
    share = node.count / max_count
    # Shade from pale to deep blue with volume; text turns white on dark boxes.
    light = 95 - 55 * share
    fill = f"hsl(212,60%,{light:.0f}%)"
    ink = "#ffffff" if light < 58 else "#102a43"
    label = node.label or node.id
    second = str(node.count)
    if view == "performance" and node.service_s is not None:
        second += f" · {format_seconds(node.service_s)}"
    tip = f"{label}: {node.count}"
    if node.service_s is not None:
        tip += f" · service {format_seconds(node.service_s)}"
    return (
        f'<g class="node"><title>{escape(tip)}</title>'
        f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
        f'fill="{fill}" stroke="#334e68" stroke-width="1"/>'
        f'<text x="{x:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{ink}" font-weight="600">'
        f"{escape(_fit(label, w))}</text>"
        f'<text x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle" fill="{ink}" font-size="11">'
        f"{escape(second)}</text></g>"
    )


def render_dfg(
    dfg: Dfg,
    *,
    view: View = "frequency",
    stat: Stat = "mean",
    lang: Literal["en", "zh"] = "en",
    title: str | None = None,
    max_edges: int | None = None,
) -> str:
    """The map of a ``liucheng.mining.dfg.Dfg``; ``max_edges`` keeps the most frequent transitions.

    Activities left without a drawn transition stay on the map (with their counts), so nothing
    in the log silently disappears; filter the log first to simplify it.
    """
    edges = list(dfg.edges)
    if max_edges is not None:
        edges = sorted(edges, key=lambda e: (-e.count, e.source, e.target))[:max_edges]
    return render_svg(
        [MapNode(n.activity, n.count) for n in dfg.nodes],
        [MapEdge(e.source, e.target, e.count, e.mean_s, e.median_s, e.p90_s) for e in edges],
        starts=dfg.start_activities(),
        ends=dfg.end_activities(),
        view=view,
        stat=stat,
        lang=lang,
        title=title,
    )
