"""``liucheng mine`` and ``liucheng analyze``: process analytics on any event log.

LOG is a raw log (XES, CSV export, OCEL 2.0, Parquet) or the Parquet table ``liucheng log import``
wrote; it is read with a progress bar, then each command runs one analysis of ``liucheng.mining``.
Tables for people, ``--format json`` or ``--format csv`` for scripts.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liucheng.cli.output import console, err_console, handle_errors, print_json, progress_bar, table

if TYPE_CHECKING:
    from liucheng.eventlog.table import EventTable

app = typer.Typer(help="Process mining on an event log: DFG, variants, maps, bottlenecks, conformance, discovery.",
                  no_args_is_help=True)


class OutFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class View(StrEnum):
    FREQUENCY = "frequency"
    PERFORMANCE = "performance"


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


LogArg = Annotated[Path, typer.Argument(
    help="Event log: .xes(.gz), .csv, OCEL 2.0 (.json/.sqlite), .parquet, or a mirror (.duckdb).", dir_okay=False)]
FormatOpt = Annotated[OutFormat, typer.Option("--format", "-F", help="table for people; json or csv for scripts.",
                                              case_sensitive=False)]
LifecycleOpt = Annotated[str | None, typer.Option(
    "--lifecycle", help="Keep only events with this lifecycle:transition (e.g. complete) before analysing.")]
TzOpt = Annotated[str | None, typer.Option("--tz", help="Zone of timestamps written without an offset "
                                           "(CSV), e.g. Asia/Shanghai.")]
FilterOpt = Annotated[list[str] | None, typer.Option(
    "--filter", "-f", help="Keep only some cases first; repeat to combine: since=2012-01-01, until=DATE, "
    "case:category=complaint|inquiry, org:group!=X, has=A|B, has-all=A|B, lacks=A, duration>=2d, "
    "duration<=PT4H, top-variants=10, coverage=0.8, window=started|completed|contained|intersecting|events. "
    "See docs/mining.md.")]


def load(path: Path, *, tz: str | None = None, filters: list[str] | None = None) -> EventTable:
    """Read LOG with a progress bar on stderr (bytes read), then apply the ``--filter`` options."""
    from liucheng.eventlog.importing import import_log
    from liucheng.mining.filter_text import apply_filters, parse_filter

    for text in filters or ():
        parse_filter(text)  # a mistyped filter fails before a long read

    size = path.stat().st_size if path.is_file() else 0
    with progress_bar(f"reading {path.name}") as bar:
        task = bar.add_task("read", total=size or None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        events = import_log(path, progress=progress, timezone=tz).table
    return apply_filters(events, filters or ())


def output(fmt: OutFormat, *, data: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]],
           title: str | None = None, render: Callable[[], None] | None = None) -> None:
    """JSON prints ``data``; CSV prints ``columns`` and ``rows``; a table shows them to a person."""
    if fmt is OutFormat.JSON:
        print_json(data)
    elif fmt is OutFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    elif render is not None:
        render()
    else:
        console.print(table(title, columns, rows))


@app.command("dfg")
@handle_errors
def dfg_command(
    log: LogArg,
    performance: Annotated[bool, typer.Option("--performance", "-p", help="Add waiting-time statistics per edge.")]
    = False,
    lifecycle: LifecycleOpt = None,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """The directly-follows graph: how often each activity follows another (and how long it waits)."""
    from liucheng.mining.dfg import discover_dfg
    from liucheng.mining.processmap import format_seconds

    graph = discover_dfg(load(log, tz=tz, filters=filters), lifecycle=lifecycle, performance=performance)
    columns = ["source", "target", "count"] + (["mean", "median", "p90", "total"] if performance else [])
    if fmt is OutFormat.TABLE:
        rows: list[list[Any]] = [
            [e.source, e.target, e.count]
            + ([format_seconds(v) for v in (e.mean_s, e.median_s, e.p90_s, e.total_s)] if performance else [])
            for e in graph.edges
        ]
    else:
        columns = [c if c in ("source", "target", "count") else f"{c}_s" for c in columns]
        rows = [[e.source, e.target, e.count] + ([e.mean_s, e.median_s, e.p90_s, e.total_s] if performance else [])
                for e in graph.edges]
    data = {"nodes": graph.nodes_to_dicts(), "edges": graph.to_dicts(), "cases": graph.n_cases,
            "events": graph.n_events}
    output(fmt, data=data, columns=columns, rows=rows,
           title=f"{len(graph.edges)} transitions between {len(graph.nodes)} activities, {graph.n_cases} cases")


@app.command("variants")
@handle_errors
def variants_command(
    log: LogArg,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Show the k most frequent variants.")] = 20,
    lifecycle: LifecycleOpt = None,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Variants (distinct activity sequences) with their cases, share and durations."""
    from liucheng.mining.processmap import format_seconds
    from liucheng.mining.variants import get_variants

    found = get_variants(load(log, tz=tz, filters=filters), lifecycle=lifecycle)
    shown = found.top(min(top, len(found.variants))) if found.variants else ()
    columns = ["rank", "cases", "share", "median duration", "activities"]
    if fmt is OutFormat.TABLE:
        rows: list[list[Any]] = [[i, v.count, f"{100 * v.share:.1f}%", format_seconds(v.median_duration_s),
                                  " → ".join(v.activities)] for i, v in enumerate(shown, start=1)]
    else:
        columns = ["rank", "cases", "share", "mean_duration_s", "median_duration_s", "activities"]
        rows = [[i, v.count, v.share, v.mean_duration_s, v.median_duration_s, " → ".join(v.activities)]
                for i, v in enumerate(shown, start=1)]
    coverage = found.coverage(len(shown)) if shown else 0.0
    data = {"cases": found.n_cases, "variants": len(found.variants), "shown": len(shown), "coverage": coverage,
            "top": found.to_dicts()[: len(shown)]}
    output(fmt, data=data, columns=columns, rows=rows,
           title=f"{len(found.variants)} variants of {found.n_cases} cases; the top {len(shown)} cover "
                 f"{100 * coverage:.1f}%")


@app.command("map")
@handle_errors
def map_command(
    log: LogArg,
    out: Annotated[Path, typer.Option("--output", "-o", help="Where to write the SVG.", dir_okay=False)],
    view: Annotated[View, typer.Option("--view", help="frequency (counts) or performance (waiting times).",
                                       case_sensitive=False)] = View.FREQUENCY,
    max_edges: Annotated[int | None, typer.Option("--max-edges", min=1, help="Draw only the most frequent "
                                                  "transitions.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Legend language.", case_sensitive=False)] = Lang.EN,
    lifecycle: LifecycleOpt = None,
    tz: TzOpt = None,
    filters: FilterOpt = None,
) -> None:
    """Draw the process map as an SVG file (open it in a browser)."""
    from liucheng.mining.dfg import discover_dfg
    from liucheng.mining.processmap import render_dfg

    graph = discover_dfg(load(log, tz=tz, filters=filters), lifecycle=lifecycle, performance=view is View.PERFORMANCE)
    svg = render_dfg(graph, view=view.value, lang=lang.value, title=log.name, max_edges=max_edges)  # type: ignore[arg-type]
    out.write_text(svg, encoding="utf-8")
    err_console.print(f"wrote {out} ({len(graph.nodes)} activities, {len(graph.edges)} transitions)")


def analyze_command(
    log: LogArg,
    out: Annotated[Path, typer.Option("--output", "-o", help="Where to write the HTML report.", dir_okay=False)]
    = Path("report.html"),
    lang: Annotated[Lang, typer.Option("--lang", help="Report language: en or zh (简体中文).",
                                       case_sensitive=False)] = Lang.EN,
    tz: TzOpt = None,
    filters: FilterOpt = None,
) -> None:
    """Write one self-contained HTML report of LOG (maps, variants, durations, bottlenecks, ...)."""
    from liucheng.mining.report import SECTIONS, build_report

    events = load(log, tz=tz, filters=filters)
    with progress_bar("analysing") as bar:
        task = bar.add_task("sections", total=len(SECTIONS))
        title = log.name + (f" ({'; '.join(filters)})" if filters else "")
        page = build_report(events, lang=lang.value, title=title,  # type: ignore[arg-type]
                            progress=lambda _name: bar.advance(task))
    out.write_text(page, encoding="utf-8")
    err_console.print(f"wrote {out}: open it in a browser (it needs no network)")


analyze = handle_errors(analyze_command)


class Holder(StrEnum):
    GROUP = "group"
    RESOURCE = "resource"


@app.command("bottlenecks")
@handle_errors
def bottlenecks_command(
    log: LogArg,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Rows per ranking.")] = 15,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Where cases wait longest: per activity, per group and per transition, ranked by total waiting time."""
    from liucheng.mining.bottlenecks import find_bottlenecks
    from liucheng.mining.processmap import format_seconds

    found = find_bottlenecks(load(log, tz=tz, filters=filters))
    rankings = [("activity", found.activities, lambda r: r.activity),
                ("group", found.groups, lambda r: r.group),
                ("transition", found.edges, lambda r: f"{r.source} → {r.target}")]
    columns = ["ranking", "where", "count", "total_s", "mean_s", "median_s", "p90_s", "share"]
    rows = [[kind, name(r), r.count, r.total_s, r.mean_s, r.median_s, r.p90_s, r.share]
            for kind, ranked, name in rankings for r in list(ranked)[:top]]

    def render() -> None:
        for kind, ranked, name in rankings:
            if not ranked:
                continue
            console.print(table(f"waiting by {kind} (top {min(top, len(ranked))} of {len(ranked)})",
                                [kind, "count", "total", "mean", "median", "p90", "share"],
                                [[name(r), r.count, format_seconds(r.total_s), format_seconds(r.mean_s),
                                  format_seconds(r.median_s), format_seconds(r.p90_s), f"{100 * r.share:.1f}%"]
                                 for r in list(ranked)[:top]]))

    data = {"activities": found.activities.to_dicts()[:top], "groups": found.groups.to_dicts()[:top],
            "edges": found.edges.to_dicts()[:top]}
    output(fmt, data=data, columns=columns, rows=rows, render=render)


@app.command("compare")
@handle_errors
def compare_command(
    log: LogArg,
    side_a: Annotated[str, typer.Option(
        "--a", help="Side A, the reference: a period START..END (the cases that started in it; dates are whole UTC "
        "days, e.g. 2012-04-01..2012-04-30), or with --by one value of that column.")],
    side_b: Annotated[str, typer.Option("--b", help="Side B, read against A: a period, or with --by a value.")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Compare two values of this column (its value on each case's first event), e.g. "
        "case:impact or org:group, instead of two periods.")] = None,
    min_count: Annotated[int, typer.Option(
        "--min-count", min=1, help="Compare a transition's waiting times only if seen this often on each side.")] = 5,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Rows per table.")] = 15,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """What changed between two periods or two groups of cases: durations, activities and waiting times, with effect
    sizes (B read against A)."""
    from liucheng.mining.compare import compare_by_attribute, compare_periods
    from liucheng.mining.filter_text import parse_period
    from liucheng.mining.processmap import format_seconds

    periods = None if by else (parse_period(side_a), parse_period(side_b))  # a typo fails before the read
    events = load(log, tz=tz, filters=filters)
    if periods is None:
        assert by is not None
        from liucheng.eventlog.table import XES_TO_CORE

        found = compare_by_attribute(events, column=XES_TO_CORE.get(by, by), a=side_a, b=side_b, min_count=min_count)
    else:
        found = compare_periods(events, a=periods[0], b=periods[1], min_count=min_count)
    warnings = _cut_short(events, periods) if periods else []
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    d = found.duration
    activities, edges = list(found.activities)[:top], list(found.edges)[:top]
    columns = ["kind", "what", "a", "b", "change", "effect", "significance"]
    rows: list[list[Any]] = [["case duration_s", "median", d.median_a_s, d.median_b_s, d.median_change_s,
                              d.cliffs_delta, d.magnitude]]
    rows += [["activity share", r.activity, r.share_a, r.share_b, r.change, r.z, r.p_value] for r in activities]
    rows += [["waiting median_s", f"{r.source} → {r.target}", r.median_a_s, r.median_b_s, r.median_change_s,
              r.cliffs_delta, r.magnitude] for r in edges]

    def render() -> None:
        console.print(table(
            "case duration (first to last event)", ["", "A", "B", "B - A"],
            [["cases", d.cases_a, d.cases_b, d.cases_b - d.cases_a],
             ["median", format_seconds(d.median_a_s), format_seconds(d.median_b_s),
              _signed(d.median_change_s, format_seconds)],
             ["mean", format_seconds(d.mean_a_s), format_seconds(d.mean_b_s),
              _signed(d.mean_b_s - d.mean_a_s, format_seconds)],
             ["Cliff's delta", "", "", f"{d.cliffs_delta:+.2f} ({d.magnitude})"]]))
        console.print(table(
            f"share of cases with each activity (top {len(activities)} of {len(found.activities)} by change)",
            ["activity", "A", "B", "B - A", "p"],
            [[r.activity, f"{100 * r.share_a:.1f}%", f"{100 * r.share_b:.1f}%", f"{100 * r.change:+.1f} pt",
              f"{r.p_value:.3g}"] for r in activities]))
        console.print(table(
            f"waiting time before each step (top {len(edges)} of {len(found.edges)} by Cliff's delta; "
            f"seen at least {min_count} times on each side)",
            ["transition", "median A", "median B", "B - A", "Cliff's delta"],
            [[f"{r.source} → {r.target}", format_seconds(r.median_a_s), format_seconds(r.median_b_s),
              _signed(r.median_change_s, format_seconds), f"{r.cliffs_delta:+.2f} ({r.magnitude})"] for r in edges]))

    data = {"duration": msgspec_dict(d), "activities": found.activities.to_dicts()[:top],
            "edges": found.edges.to_dicts()[:top], "warnings": warnings}
    output(fmt, data=data, columns=columns, rows=rows, render=render)


def _cut_short(events: EventTable, periods: tuple[tuple[Any, Any], tuple[Any, Any]]) -> list[str]:
    """A period that ends after the log's last event holds cases that had not finished when the log
    was taken: they look faster than they are."""
    import pyarrow.compute as pc

    from liucheng.eventlog.table import TIMESTAMP

    last = pc.max(events.table[TIMESTAMP]).as_py()
    return [f"period {side} ends after the log's last event ({last.isoformat()}): its cases may not have "
            "finished, so their durations and waits are cut short" for side, (_, end) in zip("ab", periods, strict=True)
            if last is not None and end > last]


def _signed(seconds: float, show: Callable[[float], str]) -> str:
    return ("-" if seconds < 0 else "+") + show(abs(seconds))


@app.command("handover")
@handle_errors
def handover_command(
    log: LogArg,
    by: Annotated[Holder, typer.Option("--by", help="Between groups (org:group) or resources (org:resource).",
                                       case_sensitive=False)] = Holder.GROUP,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Rows per table.")] = 15,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Hand-overs of work and ping-pong (A → B → A) between groups or resources."""
    from liucheng.mining.handover import find_ping_pong, handovers

    events = load(log, tz=tz, filters=filters)
    moves = sorted(handovers(events, by=by.value), key=lambda h: (-h.count, h.source, h.target))
    found = find_ping_pong(events, by=by.value)
    columns = ["kind", "from", "to", "count", "cases"]
    rows = [["handover", h.source, h.target, h.count, h.cases] for h in moves[:top]]
    rows += [["ping-pong", p.origin, p.other, p.occurrences, p.cases] for p in list(found.pairs)[:top]]

    def render() -> None:
        console.print(f"{found.cases_with_ping_pong} of {found.cases} cases ({100 * found.share:.1f}%) ping-pong "
                      f"between {by.value}s, {found.occurrences} times")
        console.print(table(f"most frequent hand-overs between {by.value}s", ["from", "to", "count", "cases"],
                            [[h.source, h.target, h.count, h.cases] for h in moves[:top]]))
        console.print(table(f"who ping-pongs ({by.value})", [by.value, "cases handled", "with ping-pong", "rate"],
                            [[h.holder, h.cases_handled, h.cases_with_ping_pong, f"{100 * h.rate:.1f}%"]
                             for h in list(found.holders)[:top] if h.cases_with_ping_pong]))

    data = {"by": by.value, "cases": found.cases, "cases_with_ping_pong": found.cases_with_ping_pong,
            "occurrences": found.occurrences, "share": found.share, "handovers": [
                {"source": h.source, "target": h.target, "count": h.count, "cases": h.cases} for h in moves[:top]],
            "pairs": found.pairs.to_dicts()[:top], "holders": found.holders.to_dicts()[:top]}
    output(fmt, data=data, columns=columns, rows=rows, render=render)


@app.command("rework")
@handle_errors
def rework_command(
    log: LogArg,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Rows to show.")] = 15,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Repeated steps, self-loops and A → B → A loops per case."""
    from liucheng.mining.rework import find_rework

    found = find_rework(load(log, tz=tz, filters=filters))
    steps = [s for s in found.steps if s.extra_executions][:top]
    columns = ["step", "cases", "cases_repeated", "extra_executions", "rework_rate", "self_loops"]
    rows = [[s.step, s.cases, s.cases_repeated, s.extra_executions,
             f"{100 * s.rework_rate:.1f}%" if fmt is OutFormat.TABLE else s.rework_rate, s.self_loops] for s in steps]
    data = {"cases": found.cases, "cases_with_repeat": found.cases_with_repeat,
            "cases_with_self_loop": found.cases_with_self_loop, "cases_with_loop_of_two": found.cases_with_loop_of_two,
            "steps": [msgspec_dict(s) for s in steps], "loops": found.loops.to_dicts()[:top]}
    output(fmt, data=data, columns=columns, rows=rows,
           title=f"{found.cases_with_repeat} of {found.cases} cases repeat a step; "
                 f"{found.cases_with_loop_of_two} go A → B → A")


def msgspec_dict(row: Any) -> dict[str, Any]:
    import msgspec

    return msgspec.structs.asdict(row)


def _model(path: Path, process: str | None) -> Any:
    from liucheng.core.errors import ValidationError
    from liucheng.process.bpmn import read_bpmn

    definitions = read_bpmn(path)
    if process is not None:
        chosen = [d for d in definitions if d.key == process]
        if not chosen:
            raise ValidationError(f"{path} has no process {process!r}", where="--process",
                                  hint=f"its processes: {', '.join(d.key for d in definitions)}")
        return chosen[0]
    if len(definitions) != 1:
        raise ValidationError(f"{path} holds {len(definitions)} processes", where="--process",
                              hint=f"name one: {', '.join(d.key for d in definitions)}")
    return definitions[0]


@app.command("conformance")
@handle_errors
def conformance_command(
    log: LogArg,
    model: Annotated[Path, typer.Option("--model", "-m", help="The BPMN 2.0 model to check the log against.",
                                        dir_okay=False)],
    process: Annotated[str | None, typer.Option("--process", help="The process in the file when it has "
                                                "several.")] = None,
    align_top: Annotated[int, typer.Option("--align", min=0, help="Align this many most frequent variants "
                                           "(optimal alignments: which steps were skipped or added).")] = 0,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Deviating activities and cases to list.")] = 15,
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Does the log follow the model? Token replay fitness per case and where tokens were missing."""
    from liucheng.mining.conformance import align, token_replay

    events = load(log, tz=tz, filters=filters)
    definition = _model(model, process)
    result = token_replay(events, definition)
    missing = result.missing_by_activity().most_common(top)
    deviating = result.deviating_cases()
    alignments = align(events, definition, top=align_top) if align_top else []
    summary = {"cases": result.n_cases, "log_fitness": result.log_fitness,
               "average_case_fitness": result.average_trace_fitness, "fitting_cases": result.fit_case_share}
    data = {**summary, "missing_by_activity": dict(missing), "deviating_cases": deviating[:top],
            "deviating_case_count": len(deviating),
            "alignments": [{"activities": list(a.activities), "cases": a.cases, "cost": a.cost, "fitness": a.fitness,
                            "deviations": [{"kind": str(m.kind), "activity": m.activity, "transition": m.transition}
                                           for m in a.deviations]} for a in alignments]}
    columns = ["activity", "cases_forced"]
    rows = [[activity, count] for activity, count in missing]

    def render() -> None:
        console.print(f"log fitness {result.log_fitness:.4f} · average case fitness {result.average_trace_fitness:.4f}"
                      f" · {100 * result.fit_case_share:.1f}% of {result.n_cases} cases fit · "
                      f"{len(deviating)} deviate")
        console.print(table("where the model had to be forced (missing tokens)", columns, rows))
        for a in alignments:
            moves = ", ".join(f"{m.kind}:{m.activity or m.transition}" for m in a.deviations) or "fits"
            console.print(f"{a.cases} cases, cost {a.cost}: {moves}")

    output(fmt, data=data, columns=columns, rows=rows, render=render)


@app.command("discover")
@handle_errors
def discover_command(
    log: LogArg,
    out: Annotated[Path, typer.Option("--output", "-o", help="Where to write the BPMN 2.0 model.", dir_okay=False)],
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help="Leave out infrequent behaviour "
                                         "(0 keeps everything; 0.2 is a common choice).")] = 0.0,
    exact: Annotated[bool, typer.Option("--exact", help="Mine from the distinct traces instead of the "
                                        "directly-follows graph: every case fits (slower).")] = False,
    key: Annotated[str, typer.Option("--key", help="Process key of the written model.")] = "discovered",
    tz: TzOpt = None,
    filters: FilterOpt = None,
) -> None:
    """Discover a BPMN model from the log (inductive miner); deploy it with `liucheng process deploy`."""
    from liucheng.mining.discovery import discover_bpmn

    events = load(log, tz=tz, filters=filters)
    xml = discover_bpmn(events, noise, process_id=key, name=f"Discovered from {log.name}",
                        variant="im" if exact else "imd")
    out.write_text(xml, encoding="utf-8")
    err_console.print(f"wrote {out}: check it with `liucheng mine conformance {log} --model {out}`")
