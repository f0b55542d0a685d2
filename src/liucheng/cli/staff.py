"""``liucheng staff``: Erlang staffing, contact forecasts, agents per interval, adherence."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import numpy as np
import typer

from liucheng.cli.output import Format, duration, emit, fail, progress_bar, table, when
from liucheng.cli.state import app_state
from liucheng.core.errors import LiuchengError, ValidationError
from liucheng.workforce.adherence import STATES, adherence_report, read_agent_states_csv, read_schedule_csv
from liucheng.workforce.forecast import Accuracy, Forecast, Model, SpecialDays, forecast
from liucheng.workforce.intervals import (
    BANK_ZONE,
    IntervalSeries,
    check_interval,
    count_per_interval,
    read_counts_csv,
    series_from_call_records,
    series_from_event_table,
)
from liucheng.workforce.queueing import QueueMeasures, queue_measures
from liucheng.workforce.staffing import StaffingTargets, required_agents

app = typer.Typer(help="Workforce planning: Erlang staffing, forecasts, requirements, adherence.",
                  no_args_is_help=True)

P = ParamSpec("P")
R = TypeVar("R")


class OutFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class InputKind(StrEnum):
    AUTO = "auto"
    CALLS = "calls"
    COUNTS = "counts"
    XES = "xes"


FmtOption = Annotated[
    OutFormat,
    typer.Option("--format", "-F", help="table for people, json for scripts, csv for spreadsheets.",
                 case_sensitive=False),
]
IntervalOption = Annotated[int, typer.Option("--interval", help="Interval length in minutes (15, 30, 60).")]
AhtOption = Annotated[float, typer.Option("--aht", help="Average handle time in seconds.")]
PatienceOption = Annotated[
    float | None, typer.Option("--patience", help="Mean patience in seconds: Erlang A (default: Erlang C).")
]
SlOption = Annotated[float, typer.Option("--target-sl", help="Share answered within --target-s, e.g. 0.8.")]
TargetSOption = Annotated[float, typer.Option("--target-s", help="Answer-time target in seconds.")]
ShrinkageOption = Annotated[float, typer.Option("--shrinkage", help="Share of paid time not on the phones.")]


def _staff_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Like ``handle_errors``, for commands whose ``--format`` also offers csv (errors then as text)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LiuchengError as exc:
            fail(exc, Format.JSON if kwargs.get("fmt") is OutFormat.JSON else Format.TABLE)

    return wrapper


def _emit(fmt: OutFormat, data: Any, rows: Sequence[dict[str, Any]], render: Callable[[], Any]) -> None:
    if fmt is OutFormat.CSV:
        _write_csv(sys.stdout, rows)
        return
    emit(Format(fmt.value), data, render)


def _write_csv(out: Any, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _measure_rows(m: QueueMeasures, extra: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    names = ("service_level", "p_wait", "asa_s", "abandon_rate", "occupancy")
    size = len(np.atleast_1d(m.service_level))
    columns = {**extra, **{n: np.atleast_1d(np.asarray(getattr(m, n), dtype=float)) for n in names}}
    return [{k: _plain(v[i]) for k, v in columns.items()} for i in range(size)]


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@app.command("erlang")
@_staff_errors
def erlang_command(
    volume: Annotated[float, typer.Option("--volume", help="Contacts arriving in the interval.")],
    aht: AhtOption,
    patience: PatienceOption = None,
    target_sl: SlOption = 0.8,
    target_s: TargetSOption = 20.0,
    shrinkage: ShrinkageOption = 0.0,
    agents: Annotated[int | None, typer.Option("--agents", help="Measure this many agents instead.")] = None,
    interval: IntervalOption = 30,
    fmt: FmtOption = OutFormat.TABLE,
) -> None:
    """Agents needed for a service level in one interval, or the measures of a given number of agents."""
    interval_s = check_interval(interval)
    if agents is not None:
        if agents < 1:
            raise ValidationError(f"{agents} agents", where="--agents", hint="give at least 1")
        m = queue_measures(agents, volume=volume, interval_s=interval_s, aht_s=aht, patience_s=patience,
                           target_s=target_s)
        row = _measure_rows(m, {"agents": np.array([agents])})[0]
    else:
        req = required_agents(volume, interval_s=interval_s, aht_s=aht, patience_s=patience, shrinkage=shrinkage,
                              targets=StaffingTargets(service_level=target_sl, target_s=target_s))
        row = _measure_rows(req.measures, {"agents": np.atleast_1d(req.agents),
                                           "positions": np.atleast_1d(req.positions)})[0]
    row = {"model": "erlang_c" if patience is None else "erlang_a", "load_erlangs": volume * aht / interval_s, **row}
    _emit(fmt, row, [row], lambda: table(None, ["measure", "value"], [
        (k, _pct(v) if k in ("service_level", "p_wait", "abandon_rate", "occupancy") else
         (f"{v:.1f}" if isinstance(v, float) else v)) for k, v in row.items()]))


def parse_horizon(text: str) -> int:
    """``7d``, ``2w`` or a plain number of days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not match or int(match.group(1)) < 1:
        raise ValidationError(f"{text!r} is not a horizon", where="--horizon", hint="whole days: 7d, 14d or 2w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def _load_series(path: Path, kind: InputKind, interval: int, zone: str | None) -> IntervalSeries:
    name = path.name.lower()
    if kind is InputKind.AUTO:
        if name.endswith((".xes", ".xes.gz")):
            kind = InputKind.XES
        elif name.endswith(".csv"):
            kind = InputKind.COUNTS
        elif name.endswith((".txt", ".txt.gz")):
            kind = InputKind.CALLS
        else:
            raise ValidationError(f"cannot tell what {path.name!r} holds from its name", where="INPUT",
                                  hint="pass --input calls, counts or xes")
    if kind is InputKind.CALLS:
        return series_from_call_records(path, interval_min=interval, zone=zone or BANK_ZONE)
    if kind is InputKind.COUNTS:
        return read_counts_csv(path, interval_min=interval, zone=zone or "Asia/Shanghai")
    from liucheng.eventlog.table import EventTableError, read_xes_table

    try:
        log = read_xes_table(str(path))
    except EventTableError as exc:
        # The message already names the file and the missing columns.
        raise ValidationError(str(exc), hint="give an XES log with cases, activities and times") from None
    return series_from_event_table(log, interval_min=interval, zone=zone or "Asia/Shanghai")


def _opened_in_store() -> list[datetime]:
    """When each case in the database was opened (the ``case opened`` event's instant)."""
    platform = app_state().platform()
    with platform.store.unit_of_work(read_only=True) as uow:
        return [row.opened_at for row in uow.cases.iter_summaries()]


def _accuracy_dict(a: Accuracy) -> dict[str, Any]:
    return {"wape": a.wape, "mape": a.mape, "smape": a.smape, "intervals": a.intervals}


def _forecast_data(result: Forecast) -> dict[str, Any]:
    backtest = None
    if result.backtest is not None:
        backtest = {
            "cutoffs": list(result.backtest.cutoffs),
            "horizon_days": result.backtest.horizon_days,
            "models": [{"model": m.model.value, "overall": _accuracy_dict(m.overall),
                        "per_day": [_accuracy_dict(a) for a in m.per_day]} for m in result.backtest.models],
        }
    rows = [{"timestamp": t, "count": float(v)} for t, v in zip(result.instants(), result.values, strict=True)]
    return {"model": result.model.value, "holiday_factor": result.holiday_factor, "backtest": backtest,
            "forecast": rows}


def _backtest_table(result: Forecast) -> Any:
    if result.backtest is None:
        return f"no backtest (history too short); model {result.model.value}"
    days = result.backtest.horizon_days
    columns = ["model", "WAPE", "MAPE", "sMAPE", *[f"day {d + 1}" for d in range(days)]]
    rows = [[m.model.value + (" *" if m.model is result.model else ""), _pct(m.overall.wape), _pct(m.overall.mape),
             _pct(m.overall.smape), *[_pct(a.wape) for a in m.per_day]] for m in result.backtest.models]
    cut = ", ".join(when(c) for c in result.backtest.cutoffs)
    return table(f"backtest from {cut}: accuracy over {days} days, WAPE per day ahead (* = used)", columns, rows)


@app.command("forecast")
@_staff_errors
def forecast_command(
    source: Annotated[Path | None, typer.Argument(
        help="Call records (.txt[.gz]), counts (.csv) or an event log (.xes); omit with --from-store.",
        exists=True, dir_okay=False, readable=True)] = None,
    from_store: Annotated[bool, typer.Option("--from-store", help="Cases opened per interval in the database.")] = (
        False),
    interval: IntervalOption = 30,
    horizon: Annotated[str, typer.Option("--horizon", help="Days to forecast: 7d, 2w.")] = "7d",
    model: Annotated[Model, typer.Option("--model", help="auto picks the best in the backtest.")] = Model.AUTO,
    kind: Annotated[InputKind, typer.Option("--input", help="What INPUT holds (default: from its name).")] = (
        InputKind.AUTO),
    zone: Annotated[str | None, typer.Option(
        "--zone", help="Time zone of the days (default Asia/Jerusalem for call records, else Asia/Shanghai).")] = None,
    holidays: Annotated[bool, typer.Option(
        "--cn-holidays", help="Treat China's public holidays and make-up working days (调休) apart.")] = False,
    windows: Annotated[int, typer.Option("--windows", help="Backtest windows (rolling origins).")] = 1,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write timestamp,count to this CSV.",
                                              dir_okay=False)] = None,
    fmt: FmtOption = OutFormat.TABLE,
) -> None:
    """Forecast contacts per interval, with a backtest of every model against the seasonal naive."""
    days = parse_horizon(horizon)
    if (source is None) == (not from_store):
        raise ValidationError("give either INPUT or --from-store", where="INPUT",
                              hint="e.g. staff forecast calls.txt.gz, or liucheng --db URL staff forecast --from-store")
    if source is None:
        series = count_per_interval(_opened_in_store(), interval_min=interval, zone=zone or "Asia/Shanghai")
        series = series.head(max(series.days - 1, 1))  # the last day is still filling up: leave it out
    else:
        series = _load_series(source, kind, interval, zone)
    special = SpecialDays()
    if holidays:
        from liucheng.core.calendar import china_mainland

        special = SpecialDays.from_calendar(china_mainland())
    with progress_bar("backtest") as bar:
        task = bar.add_task("backtest", total=None)
        result = forecast(series, horizon_days=days, model=model, windows=windows, special=special,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    data = _forecast_data(result)
    if out is not None:
        with open(out, "w", newline="", encoding="utf-8") as handle:
            _write_csv(handle, data["forecast"])
    total = float(result.values.sum())
    _emit(fmt, data, data["forecast"], lambda: [
        _backtest_table(result),
        f"{result.model.value}: {total:.0f} contacts over {days} days from {when(result.start)}"
        + (f", written to {out}" if out is not None else ""),
    ])


def _read_forecast_csv(path: Path) -> tuple[list[datetime], np.ndarray]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if "timestamp" not in (reader.fieldnames or []) or "count" not in (reader.fieldnames or []):
        raise ValidationError("missing column 'timestamp' or 'count'", where=f"{path}:1",
                              hint="give the CSV written by staff forecast -o")
    stamps, volume = [], []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        try:
            stamp = datetime.fromisoformat(row["timestamp"])
            count = float(row["count"])
        except ValueError:
            raise ValidationError(f"bad row {row!r}", where=where,
                                  hint="timestamp,count as ISO 8601 and a number") from None
        if stamp.tzinfo is None:
            raise ValidationError(f"{row['timestamp']!r} has no time zone", where=f"{where} [timestamp]",
                                  hint="add the offset, e.g. +08:00")
        if count < 0:
            raise ValidationError(f"{count} is negative", where=f"{where} [count]", hint="volumes are >= 0")
        stamps.append(stamp)
        volume.append(count)
    return stamps, np.asarray(volume, dtype=float)


def _spacing_min(stamps: Sequence[datetime], given: int | None, path: Path) -> int:
    """The interval of a forecast file: the usual gap between its timestamps, checked against ``given``."""
    gaps = [int((b - a).total_seconds()) for a, b in itertools.pairwise(stamps)]
    positive = [g for g in gaps if g > 0]
    if not positive:
        if given is None:
            raise ValidationError("cannot tell the interval from fewer than two timestamps", where=str(path),
                                  hint="pass --interval")
        return given
    usual = max(set(positive), key=positive.count) // 60
    if given is not None and given != usual:
        raise ValidationError(f"--interval {given} but the timestamps are {usual} minutes apart", where="--interval",
                              hint="leave --interval out or match the file")
    return usual


@app.command("requirement")
@_staff_errors
def requirement_command(
    forecast_csv: Annotated[Path, typer.Argument(help="timestamp,count per interval (staff forecast -o).",
                                                 exists=True, dir_okay=False, readable=True)],
    aht: AhtOption,
    patience: PatienceOption = None,
    target_sl: SlOption = 0.8,
    target_s: TargetSOption = 20.0,
    shrinkage: ShrinkageOption = 0.0,
    interval: Annotated[int | None, typer.Option(
        "--interval", help="Interval length in minutes (default: the spacing of the timestamps).")] = None,
    fmt: FmtOption = OutFormat.TABLE,
) -> None:
    """Agents and scheduled positions per interval for a forecast."""
    stamps, volume = _read_forecast_csv(forecast_csv)
    interval = _spacing_min(stamps, interval, forecast_csv)
    req = required_agents(volume, interval_s=check_interval(interval), aht_s=aht, patience_s=patience,
                          shrinkage=shrinkage, targets=StaffingTargets(service_level=target_sl, target_s=target_s))
    rows = _measure_rows(req.measures, {"timestamp": np.asarray(stamps, dtype=object), "volume": volume,
                                        "agents": req.agents, "positions": req.positions})
    for row, agents in zip(rows, req.agents, strict=True):
        if agents == 0:  # nobody needed: the measures of one idle agent would mislead
            row.update(service_level=None, p_wait=None, asa_s=None, abandon_rate=None, occupancy=None)
    data = {"intervals": rows, "agent_hours": float(req.agents.sum() * interval / 60),
            "position_hours": float(req.positions.sum() * interval / 60)}
    _emit(fmt, data, rows, lambda: [
        table(None, ["interval", "volume", "agents", "positions", "SL", "ASA", "occupancy"],
              [(when(r["timestamp"]), f"{r['volume']:.1f}", r["agents"], r["positions"], _pct(r["service_level"]),
                "" if r["asa_s"] is None else f"{r['asa_s']:.0f}s", _pct(r["occupancy"])) for r in rows]),
        f"{data['agent_hours']:.1f} agent hours, {data['position_hours']:.1f} scheduled hours",
    ])


@app.command("adherence")
@_staff_errors
def adherence_command(
    events: Annotated[Path, typer.Argument(help="Agent states: agent,state,reason,timestamp.", exists=True,
                                           dir_okay=False, readable=True)],
    schedule: Annotated[Path, typer.Option("--schedule", help="agent,activity,start,end[,leave_type].",
                                           exists=True, dir_okay=False, readable=True)],
    grace: Annotated[int, typer.Option("--grace", help="Minutes late or early that still count as on time.")] = 5,
    zone: Annotated[str, typer.Option("--zone", help="Time zone that dates the days.")] = "Asia/Shanghai",
    fmt: FmtOption = OutFormat.TABLE,
) -> None:
    """Adherence, conformance and punctuality per agent and day, and days not attended."""
    report = adherence_report(read_agent_states_csv(events), read_schedule_csv(schedule),
                              grace=timedelta(minutes=grace), zone=zone)
    rows = [{
        "agent": d.agent, "day": d.day, "adherence": d.adherence, "conformance": d.conformance,
        "scheduled_s": d.scheduled_s, "worked_s": d.worked_s, "late_s": d.late_s, "late": d.late,
        "early_out_s": d.early_out_s, "early_out": d.early_out, "missing_sign_out": d.missing_sign_out,
        "first_sign_in": d.first_sign_in, "last_sign_out": d.last_sign_out,
    } for d in report.days]
    leave = [{"agent": r.agent, "day": r.day, "leave_type": r.leave_type, "scheduled_s": r.scheduled_s}
             for r in report.leave]
    data = {"days": [{**row, "state_s": d.state_s, "reason_s": d.reason_s} for row, d in zip(rows, report.days,
                                                                                           strict=True)],
            "leave": leave}
    _emit(fmt, data, rows, lambda: [
        table("adherence", ["agent", "day", "adherence", "conformance", "late", "early out", "sign-out"],
              [(r["agent"], r["day"], _pct(r["adherence"]), _pct(r["conformance"]),
                duration(r["late_s"]) + (" late" if r["late"] else ""),
                duration(r["early_out_s"]) + (" early" if r["early_out"] else ""),
                "missing" if r["missing_sign_out"] else "") for r in rows]),
        table("time per state", ["agent", "day", *STATES[:-1], "not ready by reason"],
              [(d.agent, d.day, *(duration(d.state_s.get(state, 0)) for state in STATES[:-1]),
                ", ".join(f"{k} {duration(v)}" for k, v in sorted(d.reason_s.items(), key=lambda kv: -kv[1])))
               for d in report.days]),
        table("leave", ["agent", "day", "type", "scheduled"],
              [(r["agent"], r["day"], r["leave_type"], duration(r["scheduled_s"])) for r in leave]),
    ])



def _read_demand_csv(path: Path, column: str | None) -> tuple[list[datetime], np.ndarray, str]:
    """Agents needed per interval: ``positions`` (after shrinkage) or ``agents`` of ``staff requirement -F csv``,
    or any ``timestamp,<number>`` file."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    names = reader.fieldnames or []
    if "timestamp" not in names:
        raise ValidationError("no 'timestamp' column", where=f"{path}:1",
                              hint="give timestamp,agents per interval, e.g. staff requirement -F csv")
    chosen = column or next((c for c in ("positions", "agents", "requirement") if c in names), None)
    if chosen is None or chosen not in names:
        raise ValidationError(f"no column {column or 'positions / agents'!r} (columns: {', '.join(names)})",
                              where=f"{path}:1", hint="name the requirement column with --column")
    stamps, values = [], []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        try:
            stamp, value = datetime.fromisoformat(row["timestamp"]), float(row[chosen] or "nan")
        except ValueError:
            raise ValidationError(f"bad row {row!r}", where=where, hint=f"timestamp as ISO 8601, {chosen} a number") \
                from None
        if stamp.tzinfo is None:
            raise ValidationError(f"{row['timestamp']!r} has no time zone", where=f"{where} [timestamp]",
                                  hint="add the offset, e.g. +08:00")
        if not value >= 0:
            raise ValidationError(f"{row[chosen]!r} is not a number of agents >= 0", where=f"{where} [{chosen}]")
        stamps.append(stamp)
        values.append(value)
    if not stamps:
        raise ValidationError("no intervals", where=str(path), hint="one row per interval of a day or a week")
    if stamps[0].time() != datetime.min.time():
        raise ValidationError(f"the first interval starts at {stamps[0]:%H:%M}, not at midnight", where=f"{path}:2",
                              hint="give whole days (a week starts on Monday 00:00)")
    return stamps, np.asarray(values), chosen


@app.command("plan")
@_staff_errors
def plan_command(
    demand_csv: Annotated[Path, typer.Argument(help="Agents needed per interval (staff requirement -F csv, or "
                                               "timestamp,agents), a whole day or a week from Monday 00:00.",
                                               exists=True, dir_okay=False, readable=True)],
    shifts: Annotated[Path, typer.Option("--shifts", help="Shift types (YAML, TOML or JSON; see docs/scheduling.md).",
                                         exists=True, dir_okay=False, readable=True)],
    column: Annotated[str | None, typer.Option("--column", help="The requirement column (default: positions, "
                                               "else agents).")] = None,
    days_per_week: Annotated[int | None, typer.Option("--days-per-week", min=1, max=7, help="Weekly rules: each "
                                                      "agent works this many days (a week of demand).")] = None,
    max_consecutive: Annotated[int | None, typer.Option("--max-consecutive", min=1, max=7,
                                                        help="Weekly rules: at most this many days in a row.")] = None,
    min_hours: Annotated[float | None, typer.Option("--min-hours", help="Weekly rules: least paid hours.")] = None,
    max_hours: Annotated[float | None, typer.Option("--max-hours", help="Weekly rules: most paid hours.")] = None,
    max_agents: Annotated[int | None, typer.Option("--max-agents", min=0, help="Agents available; beyond them "
                                                   "the plan reports where it falls short.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds the solver may take.")] = 60.0,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write requirement vs coverage as SVG.",
                                               dir_okay=False)] = None,
    lang: Annotated[str, typer.Option("--lang", help="Chart language: en or zh.")] = "en",
    fmt: FmtOption = OutFormat.TABLE,
) -> None:
    """Cover the requirement with shifts at least cost (MILP, HiGHS): agents per shift and day, the gap, shortfalls."""
    from liucheng.workforce.coverage_chart import render_coverage_svg
    from liucheng.workforce.schedule import WeeklyRules, schedule_shifts
    from liucheng.workforce.shifts import load_shifts

    stamps, demand, chosen = _read_demand_csv(demand_csv, column)
    interval = _spacing_min(stamps, None if len(stamps) > 1 else 60, demand_csv)
    weekly = None
    if any(v is not None for v in (days_per_week, max_consecutive, min_hours, max_hours)):
        weekly = WeeklyRules(days_per_week=days_per_week or 5, max_consecutive_days=max_consecutive,
                             min_weekly_hours=min_hours, max_weekly_hours=max_hours)
    result = schedule_shifts(demand, load_shifts(shifts), interval_min=interval, weekly=weekly, max_agents=max_agents,
                             time_limit_s=time_limit)
    if chart is not None:
        chart.write_text(render_coverage_svg(result.requirement, result.coverage, interval_min=interval,
                                             title=f"{demand_csv.name}: {chosen}",
                                             lang="zh" if lang == "zh" else "en"), encoding="utf-8")
    rows = [{"shift": c.shift, "day": c.day, "agents": c.agents} for c in result.counts if c.agents]
    short = result.understaffed
    data = {"status": result.status, "cost": result.cost, "mip_gap": result.mip_gap, "solve_s": result.solve_s,
            "agents": result.agents, "interval_min": interval, "counts": rows,
            "patterns": [{"shift": p.shift, "days": list(p.days), "agents": p.agents} for p in result.patterns],
            "understaffed": [{"interval": label, "short": n} for label, n in short],
            "over_agent_hours": float(result.over.sum() * interval / 60)}
    _emit(fmt, data, rows, lambda: [
        table(None, ["shift", "day", "agents"], [(r["shift"], r["day"], r["agents"]) for r in rows]),
        f"{result.status}: cost {result.cost:,.1f}, gap {100 * result.mip_gap:.2f}%, {result.agents} agents, "
        f"solved in {result.solve_s:.1f}s",
        f"short in {len(short)} intervals: " + ", ".join(f"{label} ({n})" for label, n in short[:12])
        if short else "every interval is covered",
        *([f"wrote {chart}"] if chart is not None else []),
    ])
