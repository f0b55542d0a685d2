"""One self-contained HTML report of a log: what ``liucheng analyze LOG`` writes.

Everything is inline (CSS and SVG; no scripts, fonts or files fetched), so the report opens
offline, can be mailed as one file and printed. Sections, in the order a manager reads them:
overview, process map (frequency and performance), variants, case durations, volume over time,
bottlenecks, rework, hand-overs and ping-pong between groups, and KPIs. Every section is computed
by the ``liucheng.mining`` / ``liucheng.kpi`` functions on the same event table, so the numbers
match the ``liucheng mine ...`` commands exactly.

Text is in English or Simplified Chinese (``lang="zh"``); activity and group names are shown as
they are in the log.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from liucheng.eventlog.table import EventTable
from liucheng.mining import charts
from liucheng.mining.dfg import discover_performance_dfg
from liucheng.mining.durations import get_case_durations, get_cases_per_period, get_duration_distribution
from liucheng.mining.processmap import format_seconds, render_dfg
from liucheng.mining.variants import get_variants

Lang = Literal["en", "zh"]
#: Transitions drawn on the report's maps (the most frequent); the tables list all of them.
MAP_EDGES = 40
TOP_VARIANTS = 10

_T: dict[str, dict[str, str]] = {
    "title": {"en": "Process analysis", "zh": "流程分析报告"},
    "overview": {"en": "Overview", "zh": "概览"},
    "events": {"en": "events", "zh": "事件"},
    "cases": {"en": "cases", "zh": "案件"},
    "activities": {"en": "activities", "zh": "活动"},
    "variants": {"en": "variants", "zh": "变体"},
    "period": {"en": "period", "zh": "时间范围"},
    "generated": {"en": "generated", "zh": "生成时间"},
    "map_freq": {"en": "Process map: frequency", "zh": "流程图：频次"},
    "map_perf": {"en": "Process map: waiting time", "zh": "流程图：等待时间"},
    "map_note": {"en": "The {n} most frequent transitions of {total} are drawn; hover for details.",
                 "zh": "图中画出 {total} 条转移中最频繁的 {n} 条；鼠标悬停查看详情。"},
    "variants_h": {"en": "Variants", "zh": "流程变体"},
    "variant": {"en": "variant", "zh": "变体"},
    "share": {"en": "share", "zh": "占比"},
    "median": {"en": "median duration", "zh": "中位时长"},
    "coverage": {"en": "The top {k} variants cover {share} of the cases.",
                 "zh": "前 {k} 个变体覆盖了 {share} 的案件。"},
    "durations_h": {"en": "Case durations", "zh": "案件时长"},
    "mean": {"en": "mean", "zh": "平均"},
    "p90": {"en": "90th percentile", "zh": "90 分位"},
    "max": {"en": "longest", "zh": "最长"},
    "beyond": {"en": "{n} longer cases (over {limit}) are not drawn.",
               "zh": "另有 {n} 个更长的案件（超过 {limit}）未画出。"},
    "volume_h": {"en": "Cases opened and closed", "zh": "开启与关闭的案件"},
    "opened": {"en": "opened", "zh": "开启"},
    "closed": {"en": "closed", "zh": "关闭"},
    "edges_h": {"en": "Where cases wait longest", "zh": "案件在哪里等待最久"},
    "edge": {"en": "transition", "zh": "转移"},
    "count": {"en": "count", "zh": "次数"},
    "total_wait": {"en": "total waiting", "zh": "总等待时间"},
    "mean_wait": {"en": "mean waiting", "zh": "平均等待"},
}


def _t(key: str, lang: Lang) -> str:
    return _T[key][lang]


@dataclass
class Section:
    id: str
    title: str
    body: str


@dataclass
class ReportContext:
    """What the sections share: the table, the language, and results computed once."""

    table: EventTable
    lang: Lang
    cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def t(self, key: str) -> str:
        return _t(key, self.lang)


SectionBuilder = Callable[[ReportContext], Section | None]


def build_report(
    table: EventTable,
    *,
    lang: Lang = "en",
    title: str | None = None,
    extra_sections: list[SectionBuilder] | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The HTML report of ``table``; ``progress`` is told the name of each section as it starts."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    ctx = ReportContext(table, lang)
    sections: list[Section] = []
    for builder in [*SECTIONS, *(extra_sections or [])]:
        if progress is not None:
            progress(builder.__name__.removeprefix("_section_"))
        section = builder(ctx)
        if section is not None:
            sections.append(section)
    heading = title or table.source or _t("title", lang)
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{s.body}</section>' for s in sections)
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(_t('title', lang))} · {html.escape(heading)}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{html.escape(_t('title', lang))}</h1><p class=\"source\">{html.escape(heading)}</p>"
        f"<nav>{nav}</nav></header><main>{body}</main></body></html>"
    )


_CSS = """
body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif;
margin:0;color:#102a43;background:#f5f7fa}
header{background:#243b53;color:#fff;padding:16px 24px}header h1{margin:0;font-size:22px}
.source{margin:4px 0 8px;color:#bcccdc}nav a{color:#d9e2ec;margin-right:14px;font-size:13px}
main{padding:8px 24px 40px;max-width:1400px}section{background:#fff;border-radius:8px;padding:12px 18px;
margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}h2{font-size:17px;margin:6px 0 12px}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 10px;border-bottom:1px solid #e4e7eb;
text-align:left;vertical-align:top}th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figure{background:#f0f4f8;border-radius:6px;padding:8px 14px}
.figure b{display:block;font-size:20px}.map{overflow-x:auto}.note{color:#627d98;font-size:12px}
.seq{font-size:12px;color:#334e68}.ok{color:#2e7d32}.warning{color:#b26a00}.critical{color:#c62828}
"""


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{cell}</td>' for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _dfg(ctx: ReportContext) -> Any:
    return ctx.once("dfg", lambda: discover_performance_dfg(ctx.table))


def _variants(ctx: ReportContext) -> Any:
    return ctx.once("variants", lambda: get_variants(ctx.table))


def _section_overview(ctx: ReportContext) -> Section:
    table = ctx.table.table
    import pyarrow.compute as pc

    first, last = pc.min(table["timestamp"]).as_py(), pc.max(table["timestamp"]).as_py()
    figures = [
        (f"{ctx.table.n_events:,}", ctx.t("events")),
        (f"{ctx.table.n_cases:,}", ctx.t("cases")),
        (f"{len(_dfg(ctx).nodes):,}", ctx.t("activities")),
        (f"{len(_variants(ctx).variants):,}", ctx.t("variants")),
    ]
    body = '<div class="figures">' + "".join(
        f'<div class="figure"><b>{value}</b>{html.escape(label)}</div>' for value, label in figures
    ) + "</div>"
    if first is not None:
        body += (
            f'<p class="note">{html.escape(ctx.t("period"))}: {first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} UTC · '
            f'{html.escape(ctx.t("generated"))}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>'
        )
    return Section("overview", ctx.t("overview"), body)


def _map_note(ctx: ReportContext) -> str:
    total = len(_dfg(ctx).edges)
    note = ctx.t("map_note").format(n=min(MAP_EDGES, total), total=total)
    return f'<p class="note">{html.escape(note)}</p>'


def _section_map_frequency(ctx: ReportContext) -> Section:
    svg = render_dfg(_dfg(ctx), view="frequency", lang=ctx.lang, max_edges=MAP_EDGES)
    return Section("map-frequency", ctx.t("map_freq"), f'{_map_note(ctx)}<div class="map">{svg}</div>')


def _section_map_performance(ctx: ReportContext) -> Section:
    svg = render_dfg(_dfg(ctx), view="performance", lang=ctx.lang, max_edges=MAP_EDGES)
    return Section("map-performance", ctx.t("map_perf"), f'{_map_note(ctx)}<div class="map">{svg}</div>')


def _section_variants(ctx: ReportContext) -> Section:
    variants = _variants(ctx)
    top = variants.top(min(TOP_VARIANTS, len(variants.variants)))
    rows = [
        [str(rank), f'<span class="seq">{html.escape(" → ".join(v.activities))}</span>', f"{v.count:,}",
         _pct(v.share), format_seconds(v.median_duration_s)]
        for rank, v in enumerate(top, start=1)
    ]
    head = ["#", ctx.t("variant"), ctx.t("cases"), ctx.t("share"), ctx.t("median")]
    note = ctx.t("coverage").format(k=len(top), share=_pct(variants.coverage(len(top))) if top else "0 %")
    chart = charts.bar_chart([(f"#{i}", v.share * 100) for i, v in enumerate(top, start=1)],
                             fmt=lambda x: f"{x:.1f} %", width=560)
    return Section("variants", ctx.t("variants_h"),
                   f'<p class="note">{html.escape(note)}</p>{chart}{_table(head, rows, {0, 2, 3, 4})}')


def _section_durations(ctx: ReportContext) -> Section:
    dist = get_duration_distribution(ctx.table, bins=24)
    if not dist.count:
        return Section("durations", ctx.t("durations_h"), "<p>–</p>")
    figures = [(format_seconds(dist.mean_s), ctx.t("mean")), (format_seconds(dist.median_s), ctx.t("median")),
               (format_seconds(dist.p90_s), ctx.t("p90")), (format_seconds(dist.max_s), ctx.t("max"))]
    body = '<div class="figures">' + "".join(
        f'<div class="figure"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for v, k in figures
    ) + "</div>"
    spans = get_case_durations(ctx.table).table["duration_s"].to_numpy()
    # A long tail squeezes everything into the first column: draw up to the 95th percentile.
    high = float(np.quantile(spans, 0.95)) if dist.max_s and dist.max_s > 4 * (dist.p90_s or 0) else dist.max_s
    counts, edges = np.histogram(spans[spans <= high], bins=24, range=(dist.min_s or 0.0, high or 1.0))
    bins = [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]
    body += charts.histogram(bins, fmt=format_seconds)
    beyond = int((spans > high).sum())
    if beyond:
        body += f'<p class="note">{html.escape(ctx.t("beyond").format(n=beyond, limit=format_seconds(high)))}</p>'
    return Section("durations", ctx.t("durations_h"), body)


def _section_volume(ctx: ReportContext) -> Section | None:
    spans = get_cases_per_period(ctx.table, period="day")
    if not spans.rows:
        return None
    days = (spans.rows[-1].period_start - spans.rows[0].period_start).days
    period = "day" if days <= 62 else "week" if days <= 730 else "month"
    rows = get_cases_per_period(ctx.table, period=period).rows if period != "day" else spans.rows
    fmt = "%Y-%m-%d" if period != "month" else "%Y-%m"
    series = {
        ctx.t("opened"): [(r.period_start.strftime(fmt), float(r.opened)) for r in rows],
        ctx.t("closed"): [(r.period_start.strftime(fmt), float(r.closed)) for r in rows],
    }
    return Section("volume", ctx.t("volume_h"), charts.line_chart(series, width=900))


def _section_waiting_edges(ctx: ReportContext) -> Section:
    """The transitions holding the most waiting time in all (volume × mean wait)."""
    edges = sorted((e for e in _dfg(ctx).edges if e.total_s), key=lambda e: -(e.total_s or 0.0))[:15]
    total = sum(e.total_s or 0.0 for e in _dfg(ctx).edges) or 1.0
    rows = [
        [html.escape(f"{e.source} → {e.target}"), f"{e.count:,}", format_seconds(e.mean_s),
         format_seconds(e.total_s), _pct((e.total_s or 0.0) / total)]
        for e in edges
    ]
    head = [ctx.t("edge"), ctx.t("count"), ctx.t("mean_wait"), ctx.t("total_wait"), ctx.t("share")]
    chart = charts.bar_chart([(f"{e.source} → {e.target}", (e.total_s or 0.0) / 86400) for e in edges],
                             fmt=lambda d: f"{d:,.0f} d", width=900, colour="#c0392b")
    return Section("waiting", ctx.t("edges_h"), chart + _table(head, rows, {1, 2, 3, 4}))


SECTIONS: list[SectionBuilder] = [
    _section_overview,
    _section_map_frequency,
    _section_map_performance,
    _section_variants,
    _section_durations,
    _section_volume,
    _section_waiting_edges,
]
