"""Small SVG charts for reports: horizontal bars, histograms and lines over periods.

Plain strings of SVG with every text escaped, sized in pixels, no scripts: they embed in the
offline HTML report and open in any browser. Numbers are formatted by the caller's function, so
durations read as "3.5 h" and shares as "42 %".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from xml.sax.saxutils import escape

FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif"
BAR = "#3b6ea5"
PALETTE = ("#3b6ea5", "#e07b39", "#4f9d69", "#b0413e", "#7d5ba6", "#c9a227", "#2a9d8f", "#8c564b")
Formatter = Callable[[float], str]


def _plain(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def _open(width: float, height: float, title: str | None) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" font-family="{FONT}" font-size="12" role="img">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]
    if title:
        out.append(f'<text x="8" y="18" font-size="14" font-weight="600">{escape(title)}</text>')
    return out


def _label_width(labels: Sequence[str]) -> float:
    return min(max((sum(12.0 if ord(c) > 0x2E80 else 7.0 for c in s) for s in labels), default=40.0) + 16, 320.0)


def _fit(label: str, width: float) -> str:
    out, used = "", 0.0
    for ch in label:
        step = 12.0 if ord(ch) > 0x2E80 else 7.0
        if used + step > width - 14:
            return out + "…"
        out, used = out + ch, used + step
    return out


def bar_chart(items: Sequence[tuple[str, float]], *, title: str | None = None, fmt: Formatter = _plain,
              width: float = 720, colour: str = BAR) -> str:
    """Horizontal bars, one per ``(label, value)``, in the order given; values must be ≥ 0."""
    top = 28.0 if title else 6.0
    row = 22.0
    label_w = _label_width([label for label, _ in items])
    height = top + row * max(len(items), 1) + 8
    peak = max((v for _, v in items if not math.isnan(v)), default=0.0) or 1.0
    room = width - label_w - 90
    out = _open(width, height, title)
    for i, (label, value) in enumerate(items):
        y = top + i * row
        length = 0.0 if math.isnan(value) else max(value, 0.0) / peak * room
        out.append(
            f'<g><title>{escape(label)}: {escape(fmt(value))}</title>'
            f'<text x="{label_w - 6:.0f}" y="{y + 15:.0f}" text-anchor="end">{escape(_fit(label, label_w))}</text>'
            f'<rect x="{label_w:.0f}" y="{y + 3:.0f}" width="{length:.1f}" height="{row - 6:.0f}" fill="{colour}" '
            f'rx="2"/><text x="{label_w + length + 6:.1f}" y="{y + 15:.0f}" fill="#333">{escape(fmt(value))}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


def histogram(bins: Sequence[tuple[float, float, int]], *, title: str | None = None, fmt: Formatter = _plain,
              width: float = 720, height: float = 240, colour: str = BAR) -> str:
    """Columns for ``(low, high, count)`` bins, with the bin edges under the axis."""
    top = 28.0 if title else 8.0
    bottom, left = 36.0, 48.0
    plot_w, plot_h = width - left - 12, height - top - bottom
    peak = max((c for _, _, c in bins), default=0) or 1
    out = _open(width, height, title)
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    out.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="#666">{peak}</text>')
    n = max(len(bins), 1)
    step = plot_w / n
    label_every = max(1, math.ceil(n / 8))
    for i, (low, high, count) in enumerate(bins):
        h = count / peak * plot_h
        x = left + i * step
        out.append(
            f'<g><title>{escape(fmt(low))} – {escape(fmt(high))}: {count}</title>'
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{colour}"/></g>'
        )
        if i % label_every == 0:
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16:.0f}" fill="#666" font-size="11">'
                       f"{escape(fmt(low))}</text>")
    out.append("</svg>")
    return "\n".join(out)


def line_chart(series: Mapping[str, Sequence[tuple[str, float]]], *, title: str | None = None,
               fmt: Formatter = _plain, width: float = 720, height: float = 260,
               target: float | None = None) -> str:
    """One line per series over shared x labels (periods); an optional dashed target line.

    Every series must use the same x labels in the same order (missing points as NaN).
    """
    top = 28.0 if title else 8.0
    bottom, left, legend_w = 40.0, 64.0, 150.0
    plot_w, plot_h = width - left - legend_w, height - top - bottom
    labels = list(next(iter(series.values()), ()))
    xs = [x for x, _ in labels]
    for name, points in series.items():
        if [x for x, _ in points] != xs:
            raise ValueError(f"series {name!r} has other x labels than the first series")
    values = [v for points in series.values() for _, v in points if not math.isnan(v)]
    if target is not None:
        values.append(target)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if low == high:
        low, high = low - 1, high + 1
    low = min(low, 0.0) if low >= 0 else low

    def y_of(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    def x_of(i: int) -> float:
        return left + (plot_w * i / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    out = _open(width, height, title)
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    for v in (low, (low + high) / 2, high):
        out.append(f'<text x="{left - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end" fill="#666" font-size="11">'
                   f"{escape(fmt(v))}</text>")
        out.append(f'<line x1="{left}" y1="{y_of(v):.1f}" x2="{left + plot_w}" y2="{y_of(v):.1f}" stroke="#eee"/>')
    every = max(1, math.ceil(len(xs) / 8))
    for i, x in enumerate(xs):
        if i % every == 0:
            out.append(f'<text x="{x_of(i):.1f}" y="{top + plot_h + 16:.0f}" text-anchor="middle" fill="#666" '
                       f'font-size="11">{escape(x)}</text>')
    if target is not None:
        out.append(f'<line x1="{left}" y1="{y_of(target):.1f}" x2="{left + plot_w}" y2="{y_of(target):.1f}" '
                   f'stroke="#b0413e" stroke-dasharray="6,4"><title>target {escape(fmt(target))}</title></line>')
    for k, (name, points) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, (_, v) in enumerate(points):
            if math.isnan(v):
                segments.append([])
                continue
            segments[-1].append(f"{x_of(i):.1f},{y_of(v):.1f}")
            out.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.5" fill="{colour}">'
                       f"<title>{escape(name)} {escape(xs[i])}: {escape(fmt(v))}</title></circle>")
        for segment in segments:
            if len(segment) > 1:
                out.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = top + 14 + 18 * k
        out.append(f'<rect x="{left + plot_w + 14}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + plot_w + 30}" y="{ly}">{escape(_fit(name, legend_w - 20))}</text>')
    out.append("</svg>")
    return "\n".join(out)
