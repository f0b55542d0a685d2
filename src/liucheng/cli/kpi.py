"""``liucheng kpi``: process KPIs of an event log, by period and by department, person or any column."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from liucheng.cli.mine import FilterOpt, FormatOpt, LogArg, OutFormat, TzOpt, load, output
from liucheng.cli.output import console, handle_errors, table


class PeriodOpt(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = "all"


@handle_errors
def kpi_command(
    log: LogArg,
    kpis: Annotated[Path | None, typer.Option("--kpis", help="A KPI definition file (TOML, see docs/kpi.md); "
                                              "default: a built-in set.", dir_okay=False)] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Group by: department (org:group), person "
                                                 "(org:resource), category, priority, process or any column; "
                                                 "repeatable.")] = None,
    period: Annotated[PeriodOpt, typer.Option("--period", help="Periods to cut the log into.",
                                              case_sensitive=False)] = PeriodOpt.MONTH,
    zone: Annotated[str, typer.Option("--zone", help="Time zone in which periods start at midnight.")] = "UTC",
    tz: TzOpt = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = OutFormat.TABLE,
) -> None:
    """Process KPIs by period and group, each with its status against thresholds and its trend."""
    from liucheng.kpi import evaluate, load_kpis
    from liucheng.kpi.builtin import builtin_kpis

    events = load(log, tz=tz, filters=filters)
    definitions: Any = load_kpis(kpis) if kpis is not None else builtin_kpis(events)
    report = evaluate(events, definitions, by=by, period=period.value, tz=zone)
    dims = sorted({d for v in report.values for d in v.dims})
    columns = ["kpi", "period", *dims, "value", "unit", "n", "status", "trend", "change"]
    rows = [[v.kpi, v.period, *(v.dims.get(d) for d in dims), v.value, v.unit, v.n, v.status, v.trend, v.change]
            for v in report.values]

    def render() -> None:
        shown = [[v.kpi, v.period or "all", *(v.dims.get(d) or "" for d in dims),
                  "" if v.value is None else f"{v.value:,.2f}", v.unit, v.n, v.status or "", v.trend or ""]
                 for v in report.values]
        console.print(table(f"{len(report.values)} KPI values", ["kpi", "period", *dims, "value", "unit", "n",
                                                                 "status", "trend"], shown))

    output(fmt, data=report.to_dicts(), columns=columns, rows=rows, render=render)
