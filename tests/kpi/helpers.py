"""Shared helpers: KPI definitions in one line, and evaluate() compared with the brute-force reference."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.kpi import KpiDefinition, LogOptions, Title, evaluate
from liucheng.kpi.catalogue import MEASURES
from liucheng.kpi.evaluation import DIMENSION_ALIASES

from . import brute


def kpi(measure: str, name: str | None = None, **params: Any) -> KpiDefinition:
    return KpiDefinition(name=name or measure, title=Title(zh=measure, en=measure), kind="result", measure=measure,
                         direction="lower_is_better", params=params)


def table(rows: list[tuple], columns: tuple[str, ...] = ("case_id", "activity", "timestamp", "lifecycle",
                                                          "resource", "group")) -> EventTable:
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    data["timestamp"] = pa.array([datetime.fromisoformat(t).replace(tzinfo=UTC) for t in data["timestamp"]],
                                 pa.timestamp("us", tz="UTC"))
    return from_arrow(pa.table(data))


def ours(report, name: str, measure: str) -> dict[tuple, tuple[float, int]]:
    out = {}
    for v in report.values_of(name):
        if v.n == 0 and MEASURES[measure].aggregate == "count":
            continue  # the brute force lists no empty periods
        key = (None if v.period is None else datetime.fromisoformat(v.period).date(), tuple(v.dims.values()))
        out[key] = (v.value, v.n)
    return out


def compare(events: EventTable, measure: str, *, period: str = "month", by: tuple[str, ...] = (),
            tz: str = "UTC", options: LogOptions | None = None, **params: Any) -> dict[tuple, tuple[float, int]]:
    """Evaluate one measure and assert it equals the brute force, group by group; return the values."""
    return compare_many(events, {measure: (measure, params)}, period=period, by=by, tz=tz, options=options)[measure]


def compare_many(events: EventTable, specs: dict[str, tuple[str, dict[str, Any]]], *, period: str = "month",
                 by: tuple[str, ...] = (), tz: str = "UTC",
                 options: LogOptions | None = None) -> dict[str, dict[tuple, tuple[float, int]]]:
    """``specs``: KPI name -> (measure, params), evaluated in one call and each checked as ``compare``."""
    options = options or LogOptions()
    report = evaluate(events, [kpi(measure, name, **params) for name, (measure, params) in specs.items()],
                      by=list(by), period=period, tz=tz, log=options)
    log = brute.Log(events, end_activities=options.end_activities, reopen_activities=options.reopen_activities,
                    ignore_resources=options.ignore_resources)
    columns = [_column(d, events) for d in by]
    results = {}
    for name, (measure, params) in specs.items():
        if measure == "backlog":
            expected = brute.backlog(log, period=period, columns=columns, tz=tz)
        else:
            facts = brute.MEASURES[measure](log, **params)
            expected = brute.aggregate(facts, period=period, columns=columns, how=MEASURES[measure].aggregate,
                                       statistic=params.get("statistic", "mean"), tz=tz)
        got = ours(report, name, measure)
        assert set(got) == set(expected), (name, sorted(set(got) ^ set(expected), key=str)[:5])
        for key, (value, n) in expected.items():
            assert got[key][1] == n, (name, key, got[key], n)
            assert math.isclose(got[key][0], value, rel_tol=1e-9, abs_tol=1e-6), (name, key, got[key], value)
        results[name] = got
    return results


def _column(dim: str, events: EventTable) -> str:
    column = DIMENSION_ALIASES.get(dim, dim)
    return column if column in events.table.column_names else f"case:{column}"
