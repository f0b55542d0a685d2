"""``evaluate``: KPI values per period and dimension, with status against thresholds and trend.

    report = evaluate(table, load_kpis("kpis.toml"), by=["department"], period="week")
    report.to_dicts()       # JSON-ready rows, one per KPI, period and group

Facts of each measure (see ``catalogue``) are filtered, placed in a period by their ``at``
instant (local calendar of ``tz``), grouped by the dimensions and aggregated in the database;
only the small result comes back to Python for thresholds and trends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liucheng.eventlog.table import CASE_ID, CORE_COLUMNS, RESOURCE, TIMESTAMP, EventTable
from liucheng.kpi.definition import KpiDefinition, KpiSet, check_definition
from liucheng.kpi.errors import KpiDataError, KpiDefinitionError
from liucheng.kpi.periods import (
    PERIODS,
    TRUNCATE_UNITS,
    Period,
    Status,
    Trend,
    local_day,
    meets_target,
    period_grid,
    previous_period,
    status_of,
    trend_of,
)
from liucheng.kpi.view import ENGINE_COLUMNS, PRIVATE_PREFIX, LogOptions, LogView

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: Names a user may group by, and the column each reads.
DIMENSION_ALIASES: Final = {
    "department": "group",
    "person": "resource",
    "category": "case:category",
    "priority": "case:priority",
    "process": "case:process_key",
    # XES names, as users of other tools write them
    "org:group": "group",
    "org:resource": "resource",
}
TEAM: Final = "team"
PROCESS_COLUMN: Final = "case:process_key"


class KpiValue(msgspec.Struct, frozen=True, kw_only=True):
    """One KPI in one period for one group. ``period`` is the local start date (None for ``all``)."""

    kpi: str
    period: str | None
    dims: dict[str, str | None]
    value: float | None
    #: Facts behind the value: cases, steps or clocks (open cases for a backlog).
    n: int
    unit: str
    target: float | None = None
    status: Status | None = None
    meets_target: bool | None = None
    previous: float | None = None
    change: float | None = None
    trend: Trend | None = None


def dimension_key(name: str) -> str:
    """A dimension's key in flat rows: its name, unless a value field already has that name."""
    return f"by_{name}" if name in KpiValue.__struct_fields__ else name


class KpiInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title_zh: str
    title_en: str
    kind: str
    measure: str
    unit: str
    direction: str
    by: list[str]
    target: float | None
    warning: float | None
    critical: float | None


class KpiReport(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    tz: str
    kpis: list[KpiInfo]
    values: list[KpiValue]

    def to_dicts(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per value, dimensions flattened next to the other fields (a dimension
        named like a field, such as ``status``, becomes ``by_status``)."""
        rows = []
        for value in msgspec.to_builtins(self.values):
            dims = value.pop("dims")
            rows.append({**value, **{dimension_key(d): v for d, v in dims.items()}})
        return rows

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    def to_arrow(self) -> pa.Table:
        dims = sorted({d for v in self.values for d in v.dims})
        fixed = [f for f in KpiValue.__struct_fields__ if f != "dims"]
        columns: dict[str, list[Any]] = {name: [getattr(v, name) for v in self.values] for name in fixed}
        for dim in dims:
            columns[dimension_key(dim)] = [v.dims.get(dim) for v in self.values]
        return pa.table(columns)

    def values_of(self, kpi: str) -> list[KpiValue]:
        return [v for v in self.values if v.kpi == kpi]


def evaluate(
    table: EventTable,
    kpis: KpiSet | Sequence[KpiDefinition],
    *,
    by: Sequence[str] | None = None,
    period: Period = "month",
    tz: str = "UTC",
    log: LogOptions | None = None,
    teams: Mapping[str, str] | None = None,
) -> KpiReport:
    """Evaluate ``kpis`` on ``table``.

    ``by`` overrides every KPI's own ``by`` (dimension names: department, team, person, category,
    priority, process or any column, ``case:`` prefix optional). ``teams`` maps each resource to
    its team for the ``team`` dimension. ``log`` overrides the ``[log]`` options of a ``KpiSet``.
    """
    definitions = list(kpis.kpi) if isinstance(kpis, KpiSet) else list(kpis)
    options = log or (kpis.log if isinstance(kpis, KpiSet) else None)
    if period not in PERIODS:
        raise KpiDefinitionError(f"unknown period {period!r}", field="period", hint=f"use one of {', '.join(PERIODS)}")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KpiDefinitionError(f"unknown time zone {tz!r}", field="tz",
                                 hint="an IANA name such as Asia/Shanghai") from exc
    for kpi in definitions:
        check_definition(kpi)
    con = ibis.duckdb.connect()
    # Periods are cut at local midnight: DuckDB truncates TIMESTAMPTZ in the session zone.
    con.raw_sql(f"SET TimeZone = '{ZoneInfo(tz).key}'")
    events = table.to_ibis(con)
    if teams is not None:
        # People outside the mapping belong to no team (null), not to a team named after them.
        team = events[RESOURCE].cases(*teams.items(), else_=None) if teams else ibis.null().cast("string")
        events = events.mutate(**{TEAM: team})
    events = events.select(*_needed_columns(events.columns, definitions, by))
    view = LogView(events, options, con=con)
    grid: list[date] = []
    if table.n_events and period != "all":
        bounds = pc.min_max(table.table[TIMESTAMP]).as_py()
        grid = period_grid(local_day(bounds["min"], tz), local_day(bounds["max"], tz), period)
    values: list[KpiValue] = []
    infos: list[KpiInfo] = []
    for kpi in definitions:
        dims = list(by) if by is not None else list(kpi.by)
        values.extend(_evaluate_one(view, kpi, dims, period, grid))
        infos.append(_info(kpi, dims))
    return KpiReport(period=period, tz=tz, kpis=infos, values=values)


def _needed_columns(columns: Sequence[str], kpis: list[KpiDefinition], by: Sequence[str] | None) -> list[str]:
    """The columns the KPIs read: the core ones, our engine's, and those named by dimensions and
    filters. Fewer columns keep every derived table (and its query) narrow."""
    wanted = {*CORE_COLUMNS, *ENGINE_COLUMNS}
    for kpi in kpis:
        for name in by if by is not None else kpi.by:
            wanted.add(resolve_dimension(name, columns, kpi=kpi.name))
        wanted.update(kpi.filter)
        if kpi.process is not None:
            wanted.add(PROCESS_COLUMN)
    return [c for c in columns if c in wanted]


def _info(kpi: KpiDefinition, dims: list[str]) -> KpiInfo:
    return KpiInfo(name=kpi.name, title_zh=kpi.title.zh, title_en=kpi.title.en, kind=kpi.kind, measure=kpi.measure,
                   unit=kpi.unit, direction=kpi.direction, by=dims, target=kpi.target, warning=kpi.warning,
                   critical=kpi.critical)


def resolve_dimension(name: str, columns: Sequence[str], *, kpi: str) -> str:
    """The column a dimension reads: an alias, the name itself, or ``case:<name>``."""
    column = DIMENSION_ALIASES.get(name, name)
    for candidate in (column, f"case:{column}"):
        if candidate in columns and not candidate.startswith(PRIVATE_PREFIX):
            return candidate
    hint = "pass teams= (resource -> team) to evaluate" if name == TEAM else (
        f"group by one of: {', '.join(sorted(DIMENSION_ALIASES))} or a column")
    raise KpiDataError(f"cannot group by {name!r}: the log has no such column", kpi=kpi, column=column, hint=hint)


def _filtered(facts: ir.Table, kpi: KpiDefinition) -> ir.Table:
    conditions = dict(kpi.filter)
    if kpi.process is not None:
        conditions[PROCESS_COLUMN] = kpi.process
    for column, allowed in conditions.items():
        if column not in facts.columns:
            raise KpiDataError("a filter names a column the log does not have", kpi=kpi.name, column=column)
        facts = facts.filter(facts[column].cast("string").isin(allowed))
    return facts


def _evaluate_one(view: LogView, kpi: KpiDefinition, dims: list[str], period: Period,
                  grid: list[date]) -> list[KpiValue]:
    measure = kpi.catalogue_measure
    params = kpi.measure_params
    facts = _filtered(measure.facts(view, params), kpi)
    columns = [resolve_dimension(d, facts.columns, kpi=kpi.name) for d in dims]
    keyed = facts.mutate(**{f"_d{i}": facts[c].cast("string") for i, c in enumerate(columns)})
    keys = [f"_d{i}" for i in range(len(columns))]
    if measure.aggregate == "backlog":
        rows = _backlog_rows(keyed, keys, period, grid)
    else:
        rows = _aggregate_rows(keyed, keys, period, measure.aggregate, getattr(params, "statistic", "mean"))
        if measure.aggregate == "count" and grid:
            rows = _fill_zero(rows, len(keys), grid)
    return _with_status(kpi, dims, rows, period)


def _period_of(at: ir.TimestampValue, period: Period) -> ir.Value:
    if period == "all":
        return ibis.literal(None, type="date")
    return at.truncate(TRUNCATE_UNITS[period]).date()


Row = tuple[date | None, tuple[str | None, ...], float | None, int]


def _aggregate_rows(facts: ir.Table, keys: list[str], period: Period, aggregate: str, statistic: str) -> list[Row]:
    facts = facts.mutate(_period=_period_of(facts.at, period))
    value = facts.value
    if aggregate == "count":
        result = facts.count().cast("float64")
    elif aggregate == "per_case":
        result = value.sum() / facts[CASE_ID].nunique()
    elif statistic == "median":
        result = value.quantile(0.5)
    elif statistic == "p90":
        result = value.quantile(0.9)
    else:
        result = getattr(value, statistic)()
    grouped = facts.group_by(["_period", *keys])
    table = grouped.aggregate(_value=result, _n=facts.count()).to_pyarrow().to_pylist()
    return [(r["_period"], tuple(r[k] for k in keys), r["_value"], r["_n"]) for r in table]


def _fill_zero(rows: list[Row], n_keys: int, grid: list[date]) -> list[Row]:
    """Counts are zero in periods without facts, for every group seen anywhere."""
    have = {(r[0], r[1]) for r in rows}
    groups = sorted({r[1] for r in rows}, key=lambda g: tuple((v is None, v or "") for v in g))
    return rows + [(p, g, 0.0, 0) for g in groups for p in grid if (p, g) not in have]


def _backlog_rows(cases: ir.Table, keys: list[str], period: Period, grid: list[date]) -> list[Row]:
    """Open cases at each period end: opened up to then minus closed up to then, per group."""
    opened = cases.select(*keys, _period=_period_of(cases._start, period), _delta=ibis.literal(1))
    closed = cases.filter(cases._closed_at.notnull())
    closed = closed.select(*keys, _period=_period_of(closed._closed_at, period), _delta=ibis.literal(-1))
    both = opened.union(closed)
    deltas = both.group_by(["_period", *keys]).aggregate(_d=both._delta.sum()).to_pyarrow().to_pylist()
    by_group: dict[tuple[str | None, ...], dict[date | None, int]] = {}
    for row in deltas:
        by_group.setdefault(tuple(row[k] for k in keys), {})[row["_period"]] = row["_d"]
    rows: list[Row] = []
    for group, changes in by_group.items():
        open_now = 0
        for start in grid or [None]:
            open_now += changes.get(start, 0)
            rows.append((start, group, float(open_now), open_now))
    return rows


def _with_status(kpi: KpiDefinition, dims: list[str], rows: list[Row], period: Period) -> list[KpiValue]:
    scale = kpi.scale
    scaled = {(p, g): (v * scale if v is not None else None, n) for p, g, v, n in rows}
    values = []
    for (start, group), (value, n) in sorted(scaled.items(), key=lambda item: _sort_key(item[0])):
        previous = None
        if start is not None and period != "all":
            previous = scaled.get((previous_period(start, period), group), (None, 0))[0]
        values.append(KpiValue(
            kpi=kpi.name,
            period=start.isoformat() if start is not None else None,
            dims=dict(zip(dims, group, strict=True)),
            value=value,
            n=n,
            unit=kpi.unit,
            target=kpi.target,
            status=status_of(value, direction=kpi.direction, warning=kpi.warning, critical=kpi.critical),
            meets_target=meets_target(value, direction=kpi.direction, target=kpi.target),
            previous=previous,
            change=value - previous if value is not None and previous is not None else None,
            trend=trend_of(value, previous, direction=kpi.direction, tolerance=kpi.flat_tolerance),
        ))
    return values


def _sort_key(key: tuple[date | None, tuple[str | None, ...]]) -> tuple[Any, ...]:
    start, group = key
    return (tuple((v is None, v or "") for v in group), start or date.min)
