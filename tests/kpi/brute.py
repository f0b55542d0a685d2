"""The KPI catalogue recomputed case by case in plain Python, from the definitions in docs/kpi.md.

Nothing here imports the code under test except the parameter structs and options (plain data):
periods, closing, pairing and every measure are written again the slow, obvious way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from liucheng.eventlog.table import EventTable

CLOSING = {"case.completed", "case.terminated", "case.cancelled"}


def load(table: EventTable) -> dict[str, list[dict[str, Any]]]:
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in table.table.to_pylist():
        cases[row["case_id"]].append(row)
    for events in cases.values():
        events.sort(key=lambda e: (e["timestamp"], e["event_index"]))
    return dict(cases)


def lc(event: dict[str, Any]) -> str | None:
    return event["lifecycle"].lower() if event.get("lifecycle") is not None else None


class Log:
    def __init__(self, table: EventTable, *, end_activities=None, reopen_activities=None,
                 ignore_resources=("system",)) -> None:
        self.cases = load(table)
        self.columns = set(table.table.column_names)
        self.has_et = "event_type" in self.columns
        self.end = end_activities
        self.reopen_acts = reopen_activities
        self.ignore = set(ignore_resources)
        self.any_complete = any(lc(e) == "complete" for evs in self.cases.values() for e in evs)

    def closing(self, events):
        if self.has_et:
            return [e["event_type"] in CLOSING for e in events]
        if self.end is not None:
            return [e["activity"] in self.end for e in events]
        return [i == len(events) - 1 for i in range(len(events))]

    def reopens(self, events):
        if self.has_et:
            return [e["event_type"] == "case.reopened" for e in events]
        if self.reopen_acts is not None:
            return [e["activity"] in self.reopen_acts for e in events]
        if self.end is not None:
            closing = self.closing(events)
            return [i > 0 and closing[i - 1] and not closing[i] for i in range(len(events))]
        return [False] * len(events)

    def steps(self, events):
        if self.has_et:
            return [e for e in events if e["event_type"] == "task.completed"]
        if self.any_complete:
            return [e for e in events if lc(e) == "complete"]
        return list(events)

    def info(self, events):
        """(closed_at or None, reopened, row for dimensions)."""
        closing, reopen = self.closing(events), self.reopens(events)
        last_close = max((i for i, c in enumerate(closing) if c), default=None)
        last_reopen = max((i for i, r in enumerate(reopen) if r), default=None)
        closed_at = None
        if last_close is not None and (last_reopen is None or last_reopen < last_close):
            closed_at = events[last_close]["timestamp"]
        row = dict(events[-1])
        steps = self.steps(events)
        row["group"] = steps[-1]["group"] if steps else None
        row["resource"] = steps[-1]["resource"] if steps else None
        return closed_at, any(reopen), row

    def closed(self):
        for case_id, events in self.cases.items():
            closed_at, reopened, row = self.info(events)
            if closed_at is not None:
                yield case_id, events, closed_at, reopened, row


# -- measures: lists of (case_id, at, value, row) --------------------------------------------------
def cycle_time(log: Log, **_):
    return [(c, at, (at - ev[0]["timestamp"]).total_seconds(), row) for c, ev, at, _, row in log.closed()]


def pairs(log: Log, events):
    """(start event, complete event) for completes whose previous start/complete of the key is a start."""
    last: dict[tuple, dict] = {}
    found = []
    for e in events:
        if lc(e) not in ("start", "complete"):
            continue
        key = (e["activity"], e.get("task_id"))
        prev = last.get(key)
        if lc(e) == "complete" and prev is not None and lc(prev) == "start":
            found.append((prev, e))
        last[key] = e
    return found


def processing_time(log: Log, activities=None, **_):
    out = []
    for c, events in log.cases.items():
        for start, done in pairs(log, events):
            if activities is None or done["activity"] in activities:
                out.append((c, done["timestamp"], (done["timestamp"] - start["timestamp"]).total_seconds(), done))
    return out


def waiting_time(log: Log, activities=None, **_):
    out = []
    for c, events in log.cases.items():
        ready = None
        for e in events:
            if lc(e) == "start" and (activities is None or e["activity"] in activities):
                since = ready if ready is not None else events[0]["timestamp"]
                out.append((c, e["timestamp"], (e["timestamp"] - since).total_seconds(), e))
            if lc(e) == "complete":
                ready = e["timestamp"] if ready is None else max(ready, e["timestamp"])
    return out


def throughput(log: Log, **_):
    return [(c, at, 1.0, row) for c, _, at, _, row in log.closed()]


def sla_attainment(log: Log, clock="resolution", target_s=None, response_activities=None, **_):
    out = []
    if log.has_et and "clock" in log.columns:
        for c, events in log.cases.items():
            last: dict[str, dict] = {}
            for e in events:
                if e["event_type"] in ("sla.met", "sla.breached") and e["clock"] is not None and (
                    e["clock"].startswith("step:") if clock == "step" else e["clock"] == clock
                ):
                    last[e["clock"]] = e
            _, _, case_row = log.info(events)
            for e in last.values():
                row = dict(e)
                if clock == "step":
                    done = [s for s in log.steps(log.cases[c]) if s["task_id"] == e["task_id"]]
                    row["group"] = done[0]["group"] if done else None
                    row["resource"] = done[0]["resource"] if done else None
                else:
                    row["group"], row["resource"] = case_row["group"], case_row["resource"]
                met = e["event_type"] == "sla.met" and e["status"] == "met"
                out.append((c, e["timestamp"], float(met), row))
        if out:
            return out
    if clock == "step":
        return [(c, d["timestamp"], float((d["timestamp"] - s["timestamp"]).total_seconds() <= target_s), d)
                for c, events in log.cases.items() for s, d in pairs(log, events)]
    if clock == "resolution":
        return [(c, at, float((at - ev[0]["timestamp"]).total_seconds() <= target_s), row)
                for c, ev, at, _, row in log.closed()]
    for c, events in log.cases.items():
        if response_activities is None:
            response = events[1] if len(events) > 1 else None
        else:
            response = next((e for e in events if e["activity"] in response_activities), None)
        if response is not None:
            waited = (response["timestamp"] - events[0]["timestamp"]).total_seconds()
            out.append((c, response["timestamp"], float(waited <= target_s), log.info(events)[2]))
    return out


def first_contact_resolution(log: Log, single="resource", exclude_activities=(), **_):
    out = []
    for c, events, at, reopened, row in log.closed():
        people = {e["resource"] for e in events if e["resource"] is not None and e["resource"] not in log.ignore
                  and e["activity"] not in exclude_activities}
        handled = len(log.steps(events)) if single == "step" else len(people)
        out.append((c, at, float(handled == 1 and not reopened), row))
    return out


def reopen_rate(log: Log, **_):
    return [(c, at, float(reopened), row) for c, _, at, reopened, row in log.closed()]


def rework_rate(log: Log, **_):
    out = []
    for c, events, at, _, row in log.closed():
        names = [s["activity"] for s in log.steps(events)]
        out.append((c, at, float(len(names) != len(set(names))), row))
    return out


def holders(log: Log, events, level):
    return [s for s in log.steps(events) if s[level] is not None
            and (s["resource"] is None or s["resource"] not in log.ignore)]


def handoffs_per_case(log: Log, level="resource", **_):
    out = []
    for c, events in log.cases.items():
        steps = holders(log, events, level)
        for i, s in enumerate(steps):
            handed = i + 1 < len(steps) and steps[i + 1][level] != s[level]
            out.append((c, s["timestamp"], float(handed), s))
    return out


def ping_pong_rate(log: Log, level="resource", **_):
    out = []
    for c, events, at, _, row in log.closed():
        runs: list[str] = []
        for s in holders(log, events, level):
            if not runs or runs[-1] != s[level]:
                runs.append(s[level])
        bounced = any(runs[i] == runs[i + 2] for i in range(len(runs) - 2))
        out.append((c, at, float(bounced), row))
    return out


def escalation_rate(log: Log, activities=None, **_):
    def escalated(events):
        if activities is not None:
            return any(e["activity"] in activities for e in events)
        return any(e["event_type"] in ("escalation.raised", "escalation.thrown") for e in events)
    return [(c, at, float(escalated(ev)), row) for c, ev, at, _, row in log.closed()]


def cost_per_case(log: Log, activity_costs=None, per_hour=0.0, **_):
    out = []
    for c, events, at, _, row in log.closed():
        cost = sum((activity_costs or {}).get(s["activity"], 0.0) for s in log.steps(events))
        hours = sum((d["timestamp"] - s["timestamp"]).total_seconds() / 3600 for s, d in pairs(log, events))
        out.append((c, at, cost + per_hour * hours, row))
    return out


MEASURES = {f.__name__: f for f in (cycle_time, processing_time, waiting_time, throughput, sla_attainment,
                                    first_contact_resolution, reopen_rate, rework_rate, handoffs_per_case,
                                    ping_pong_rate, escalation_rate, cost_per_case)}


# -- periods and aggregation ------------------------------------------------------------------------
def period_of(at: datetime, period: str, tz: str) -> date | None:
    if period == "all":
        return None
    day = at.astimezone(ZoneInfo(tz)).date()
    return {
        "day": day,
        "week": day - timedelta(days=day.isoweekday() - 1),
        "month": date(day.year, day.month, 1),
        "quarter": date(day.year, (day.month - 1) // 3 * 3 + 1, 1),
        "year": date(day.year, 1, 1),
    }[period]


def dim_value(row: dict[str, Any], column: str) -> str | None:
    value = row.get(column)
    return None if value is None else str(value)


def aggregate(facts, *, period: str, columns: list[str], how: str = "mean", statistic: str = "mean",
              tz: str = "UTC") -> dict[tuple, tuple[float, int]]:
    groups: dict[tuple, list[tuple[str, float]]] = defaultdict(list)
    for case_id, at, value, row in facts:
        key = (period_of(at, period, tz), tuple(dim_value(row, c) for c in columns))
        groups[key].append((case_id, value))
    out = {}
    for key, items in groups.items():
        values = [v for _, v in items]
        if how == "count":
            result = float(len(values))
        elif how == "per_case":
            result = sum(values) / len({c for c, _ in items})
        else:
            result = {"mean": np.mean, "median": np.median, "max": np.max, "min": np.min,
                      "p90": lambda v: np.quantile(v, 0.9)}[statistic](values)
        out[key] = (float(result), len(values))
    return out


def backlog(log: Log, *, period: str, columns: list[str], tz: str = "UTC") -> dict[tuple, tuple[float, int]]:
    """Open cases at each period end: opened before it and not closed before it."""
    infos = [(ev[0]["timestamp"], *log.info(ev)) for ev in log.cases.values()]
    groups = {tuple(dim_value(row, c) for c in columns) for _, _, _, row in infos}
    if period == "all":
        return {(None, g): (float(n), n) for g in groups
                for n in [sum(1 for _, closed_at, _, row in infos
                              if closed_at is None and tuple(dim_value(row, c) for c in columns) == g)]}
    first = min(e[0]["timestamp"] for e in log.cases.values()).astimezone(ZoneInfo(tz)).date()
    last = max(e[-1]["timestamp"] for e in log.cases.values()).astimezone(ZoneInfo(tz)).date()
    starts = sorted({period_of(datetime.combine(first + timedelta(days=k), datetime.min.time(), ZoneInfo(tz)),
                               period, tz) for k in range((last - first).days + 1)})
    keyed = [(opened, closed_at, tuple(dim_value(row, c) for c in columns)) for opened, closed_at, _, row in infos]
    out: dict[tuple, tuple[float, int]] = {}
    for i, start in enumerate(starts):
        period_end = datetime.combine(starts[i + 1], datetime.min.time(), ZoneInfo(tz)) if i + 1 < len(starts) \
            else datetime.max.replace(tzinfo=ZoneInfo("UTC"))
        counts = dict.fromkeys(groups, 0)
        for opened, closed_at, group in keyed:
            if opened < period_end and (closed_at is None or closed_at >= period_end):
                counts[group] += 1
        for group, n in counts.items():
            out[(start, group)] = (float(n), n)
    return out
