"""Requirement against scheduled coverage per interval, as one self-contained SVG.

Scheduled agents are a filled step area, the requirement a dark step line on top, and every
under-staffed interval a red band with a tooltip (day, time, agents short). The x axis marks
days (a week) or hours (a day); the y axis agents. No scripts or external fonts; all text is
escaped, so the SVG can be embedded in HTML as it is.
"""

from __future__ import annotations

from typing import Literal
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import ArrayLike

from liucheng.core.errors import ValidationError
from liucheng.workforce.schedule import interval_label
from liucheng.workforce.shifts import DAYS, MINUTES_PER_DAY, horizon_days

FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif"
_TEXT = {
    "en": {"req": "requirement", "cov": "scheduled", "under": "under-staffed", "agents": "agents", "short": "short"},
    "zh": {"req": "需求人数", "cov": "排班人数", "under": "人手不足", "agents": "坐席数", "short": "缺"},
}
_DAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
LEFT, RIGHT, TOP, BOTTOM = 56.0, 16.0, 48.0, 40.0


def _steps(values: np.ndarray, x0: float, dx: float, y) -> str:
    """Points of a step line through ``values`` (one flat segment per interval)."""
    points = []
    for i, v in enumerate(values):
        points += [f"{x0 + i * dx:.1f},{y(v):.1f}", f"{x0 + (i + 1) * dx:.1f},{y(v):.1f}"]
    return " ".join(points)


def _ticks(top: float) -> list[int]:
    """About five round agent counts from 0 to ``top``."""
    raw = max(top / 5, 1.0)
    step = min((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if s >= raw), default=1000)
    return list(range(0, int(top) + 1, step))


def render_coverage_svg(
    requirement: ArrayLike,
    coverage: ArrayLike,
    *,
    interval_min: int,
    title: str | None = None,
    lang: Literal["en", "zh"] = "en",
    width: float = 960.0,
    height: float = 300.0,
) -> str:
    """SVG chart of ``requirement`` vs ``coverage`` (same length: a day or a week of intervals)."""
    req = np.asarray(requirement, dtype=float)
    cov = np.asarray(coverage, dtype=float)
    if req.shape != cov.shape or req.ndim != 1:
        raise ValidationError(f"requirement ({req.shape}) and coverage ({cov.shape}) must be equal-length 1-D arrays")
    n_days = horizon_days(req.size, interval_min)
    text = _TEXT["zh" if lang == "zh" else "en"]
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = max(float(req.max(initial=0)), float(cov.max(initial=0)), 1.0) * 1.1
    dx = plot_w / req.size

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="11">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]
    if title:
        out.append(f'<text x="{LEFT:.0f}" y="18" font-size="14" font-weight="600">{escape(title)}</text>')
    for t in np.flatnonzero(cov < req):
        tip = f"{interval_label(int(t), interval_min)}: {text['short']} {req[t] - cov[t]:g}"
        out.append(
            f'<rect class="under" x="{LEFT + t * dx:.1f}" y="{TOP:.1f}" width="{dx:.2f}" height="{plot_h:.1f}" '
            f'fill="#d73027" fill-opacity="0.25"><title>{escape(tip)}</title></rect>'
        )
    for v in _ticks(top):
        out.append(
            f'<line x1="{LEFT:.0f}" x2="{width - RIGHT:.0f}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6:.0f}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555">{v}</text>'
        )
    area = f"{LEFT:.1f},{y(0):.1f} {_steps(cov, LEFT, dx, y)} {LEFT + plot_w:.1f},{y(0):.1f}"
    out.append(f'<polygon class="coverage" points="{area}" fill="#74add1" fill-opacity="0.6"/>')
    out.append(
        f'<polyline class="requirement" points="{_steps(req, LEFT, dx, y)}" fill="none" stroke="#222" '
        'stroke-width="1.4"/>'
    )
    out.extend(_x_axis(req.size, interval_min, n_days, dx, TOP + plot_h, lang))
    out.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 14 {TOP + plot_h / 2:.0f})" '
        f'text-anchor="middle" fill="#555">{escape(text["agents"])}</text>'
    )
    out.extend(_legend(text, width))
    out.append("</svg>")
    return "\n".join(out)


def _x_axis(size: int, interval_min: int, n_days: int, dx: float, base: float, lang: str) -> list[str]:
    per_day = MINUTES_PER_DAY // interval_min
    out = [f'<line x1="{LEFT:.0f}" x2="{LEFT + size * dx:.1f}" y1="{base:.1f}" y2="{base:.1f}" stroke="#888"/>']
    if n_days == 7:
        names = _DAYS_ZH if lang == "zh" else tuple(d.capitalize() for d in DAYS)
        for d in range(7):
            x = LEFT + d * per_day * dx
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP:.0f}" y2="{base + 4:.1f}" stroke="#bbb"/>')
            out.append(
                f'<text x="{x + per_day * dx / 2:.1f}" y="{base + 16:.1f}" text-anchor="middle">{names[d]}</text>'
            )
        return out
    for hour in range(0, 25, 3):
        x = LEFT + hour * 60 / interval_min * dx
        out.append(f'<text x="{x:.1f}" y="{base + 16:.1f}" text-anchor="middle">{hour:02d}:00</text>')
    return out


def _legend(text: dict[str, str], width: float) -> list[str]:
    x = width - RIGHT - 330
    return [
        f'<g class="legend" transform="translate({x:.0f},30)">',
        '<line x1="0" x2="18" y1="0" y2="0" stroke="#222" stroke-width="1.4"/>',
        f'<text x="22" y="4">{escape(text["req"])}</text>',
        '<rect x="110" y="-6" width="18" height="12" fill="#74add1" fill-opacity="0.6"/>',
        f'<text x="132" y="4">{escape(text["cov"])}</text>',
        '<rect x="220" y="-6" width="18" height="12" fill="#d73027" fill-opacity="0.25"/>',
        f'<text x="242" y="4">{escape(text["under"])}</text>',
        "</g>",
    ]
