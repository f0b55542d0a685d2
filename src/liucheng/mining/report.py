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
from liucheng.mining.bottlenecks import find_bottlenecks
from liucheng.mining.dfg import discover_performance_dfg
from liucheng.mining.durations import get_case_durations, get_cases_per_period, get_duration_distribution
from liucheng.mining.handover import find_ping_pong, handovers
from liucheng.mining.processmap import format_seconds, render_dfg
from liucheng.mining.rework import find_rework
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
    "by_activity": {"en": "Waiting before each activity", "zh": "各活动之前的等待"},
    "by_group": {"en": "Time cases spend with each group", "zh": "案件在各小组停留的时间"},
    "by_edge": {"en": "Waiting on each transition", "zh": "各转移上的等待"},
    "activity": {"en": "activity", "zh": "活动"},
    "group": {"en": "group", "zh": "小组"},
    "rework_h": {"en": "Rework and loops", "zh": "返工与循环"},
    "rework_note": {"en": "{n} of {total} cases ({share}) repeat a step; {loops} go back and forth A → B → A.",
                    "zh": "{total} 个案件中有 {n} 个（{share}）重复了某个步骤；{loops} 个出现 A → B → A 往返。"},
    "step": {"en": "step", "zh": "步骤"},
    "repeated": {"en": "cases repeating it", "zh": "重复的案件"},
    "extra": {"en": "extra executions", "zh": "额外执行"},
    "rate": {"en": "rework rate", "zh": "返工率"},
    "pingpong_h": {"en": "Hand-overs and ping-pong", "zh": "转交与踢皮球"},
    "pingpong_note": {"en": "{n} of {total} cases ({share}) bounce between {by}s (A → B → A), {occ} times.",
                      "zh": "{total} 个案件中有 {n} 个（{share}）在{by}之间来回转交（A → B → A），共 {occ} 次。"},
    "holder": {"en": "holder", "zh": "处理方"},
    "handled": {"en": "cases handled", "zh": "处理案件"},
    "pp_cases": {"en": "cases with ping-pong", "zh": "踢皮球案件"},
    "pp_rate": {"en": "share of its cases", "zh": "占其案件比例"},
    "pair": {"en": "pair", "zh": "双方"},
    "occurrences": {"en": "occurrences", "zh": "次数"},
    "handovers": {"en": "Most frequent hand-overs", "zh": "最频繁的转交"},
    "kpi_h": {"en": "Process KPIs by month", "zh": "按月的流程指标"},
    "kpi": {"en": "KPI", "zh": "指标"},
    "latest": {"en": "latest month", "zh": "最近一月"},
    "previous": {"en": "month before", "zh": "上一月"},
    "trend": {"en": "trend", "zh": "趋势"},
    "status": {"en": "status", "zh": "状态"},
    "improving": {"en": "improving", "zh": "改善"},
    "worsening": {"en": "worsening", "zh": "恶化"},
    "flat": {"en": "flat", "zh": "持平"},
    "ok": {"en": "ok", "zh": "正常"},
    "warning": {"en": "warning", "zh": "预警"},
    "critical": {"en": "critical", "zh": "严重"},
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
h3{font-size:14px;margin:14px 0 6px;color:#334e68}
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


def _waiting_table(ctx: ReportContext, label: str, rows: list[Any], name: Callable[[Any], str]) -> str:
    head = [label, ctx.t("count"), ctx.t("mean_wait"), ctx.t("median"), ctx.t("total_wait"), ctx.t("share")]
    body = [[html.escape(name(r)), f"{r.count:,}", format_seconds(r.mean_s), format_seconds(r.median_s),
             format_seconds(r.total_s), _pct(r.share)] for r in rows]
    return _table(head, body, {1, 2, 3, 4, 5})


def _section_bottlenecks(ctx: ReportContext) -> Section:
    """Where the waiting time is, by activity, by group and by transition (ranked by total)."""
    found = find_bottlenecks(ctx.table)
    body = f"<h3>{html.escape(ctx.t('by_activity'))}</h3>"
    top = list(found.activities[:12])
    body += charts.bar_chart([(r.activity, r.total_s / 86400) for r in top], fmt=lambda d: f"{d:,.0f} d",
                             width=900, colour="#c0392b")
    body += _waiting_table(ctx, ctx.t("activity"), top, lambda r: r.activity)
    if found.groups:
        groups = list(found.groups[:12])
        body += f"<h3>{html.escape(ctx.t('by_group'))}</h3>"
        body += charts.bar_chart([(r.group, r.total_s / 86400) for r in groups], fmt=lambda d: f"{d:,.0f} d",
                                 width=900, colour="#e07b39")
        body += _waiting_table(ctx, ctx.t("group"), groups, lambda r: r.group)
    body += f"<h3>{html.escape(ctx.t('by_edge'))}</h3>"
    body += _waiting_table(ctx, ctx.t("edge"), list(found.edges[:12]), lambda r: f"{r.source} → {r.target}")
    return Section("bottlenecks", ctx.t("edges_h"), body)


def _section_rework(ctx: ReportContext) -> Section:
    found = find_rework(ctx.table)
    share = found.cases_with_repeat / found.cases if found.cases else 0.0
    note = ctx.t("rework_note").format(n=f"{found.cases_with_repeat:,}", total=f"{found.cases:,}",
                                       share=_pct(share), loops=f"{found.cases_with_loop_of_two:,}")
    steps = [s for s in found.steps if s.extra_executions][:12]
    head = [ctx.t("step"), ctx.t("cases"), ctx.t("repeated"), ctx.t("extra"), ctx.t("rate")]
    rows = [[html.escape(s.step), f"{s.cases:,}", f"{s.cases_repeated:,}", f"{s.extra_executions:,}",
             _pct(s.rework_rate)] for s in steps]
    chart = charts.bar_chart([(s.step, float(s.extra_executions)) for s in steps], width=900, colour="#7d5ba6")
    return Section("rework", ctx.t("rework_h"), f'<p class="note">{html.escape(note)}</p>{chart}'
                   + _table(head, rows, {1, 2, 3, 4}))


def _holder_column(ctx: ReportContext) -> str | None:
    """Ping-pong between groups when the log names them, else between resources."""
    import pyarrow.compute as pc

    for column in ("group", "resource"):
        values = ctx.table.table[column].cast("string")
        if values.null_count < ctx.table.n_events and pc.count_distinct(values).as_py() > 1:
            return column
    return None


def _section_ping_pong(ctx: ReportContext) -> Section | None:
    by = _holder_column(ctx)
    if by is None:
        return None
    found = find_ping_pong(ctx.table, by=by)
    by_name = ctx.t("group") if by == "group" else ("resource" if ctx.lang == "en" else "处理人")
    note = ctx.t("pingpong_note").format(n=f"{found.cases_with_ping_pong:,}", total=f"{found.cases:,}",
                                         share=_pct(found.share), by=by_name, occ=f"{found.occurrences:,}")
    holders = [h for h in found.holders if h.cases_with_ping_pong][:12]
    head = [ctx.t("holder"), ctx.t("handled"), ctx.t("pp_cases"), ctx.t("pp_rate")]
    rows = [[html.escape(h.holder), f"{h.cases_handled:,}", f"{h.cases_with_ping_pong:,}", _pct(h.rate)]
            for h in holders]
    body = f'<p class="note">{html.escape(note)}</p>' + _table(head, rows, {1, 2, 3})
    pairs = list(found.pairs[:10])
    body += _table([ctx.t("pair"), ctx.t("occurrences"), ctx.t("cases")],
                   [[html.escape(f"{p.origin} → {p.other} → {p.origin}"), f"{p.occurrences:,}", f"{p.cases:,}"]
                    for p in pairs], {1, 2})
    moves = sorted(handovers(ctx.table, by=by), key=lambda h: -h.count)[:10]
    body += f"<h3>{html.escape(ctx.t('handovers'))}</h3>"
    body += charts.bar_chart([(f"{h.source} → {h.target}", float(h.count)) for h in moves], width=900)
    return Section("ping-pong", ctx.t("pingpong_h"), body)


def _section_kpis(ctx: ReportContext) -> Section | None:
    """The built-in KPI set by month for the whole log: the latest month against the one before, and lines."""
    from liucheng.kpi import evaluate
    from liucheng.kpi.builtin import builtin_kpis

    definitions = builtin_kpis(ctx.table)
    report = evaluate(ctx.table, definitions, by=[], period="month")
    if not report.values:
        return None
    by_kpi: dict[str, list[Any]] = {}
    for value in report.values:
        by_kpi.setdefault(value.kpi, []).append(value)
    titles = {d.name: (d.title.zh if ctx.lang == "zh" else d.title.en) for d in definitions}
    units = {d.name: d.unit for d in definitions}
    rows, body_charts = [], []
    for name, values in by_kpi.items():
        values.sort(key=lambda v: v.period or "")
        latest = values[-1]
        before = values[-2] if len(values) > 1 else None

        def shown(v: Any, unit: str = units[name]) -> str:
            return "–" if v is None or v.value is None else f"{v.value:,.2f} {unit}".strip()

        status = f'<span class="{latest.status}">{html.escape(ctx.t(latest.status))}</span>' if latest.status else ""
        rows.append([html.escape(titles[name]), shown(latest), shown(before),
                     html.escape(ctx.t(latest.trend)) if latest.trend else "", status])
        points = [((v.period or "")[:7], float("nan") if v.value is None else v.value) for v in values]
        target = next((d.target for d in definitions if d.name == name), None)
        body_charts.append(charts.line_chart({titles[name]: points}, title=titles[name], width=680, height=220,
                                             target=target))
    head = [ctx.t("kpi"), ctx.t("latest"), ctx.t("previous"), ctx.t("trend"), ctx.t("status")]
    body = _table(head, rows, {1, 2}) + '<div class="figures">' + "".join(
        f'<div class="chart">{c}</div>' for c in body_charts) + "</div>"
    return Section("kpis", ctx.t("kpi_h"), body)


SECTIONS: list[SectionBuilder] = [
    _section_overview,
    _section_map_frequency,
    _section_map_performance,
    _section_variants,
    _section_durations,
    _section_volume,
    _section_bottlenecks,
    _section_rework,
    _section_ping_pong,
    _section_kpis,
]
