"""Contacts per interval: the input of forecasting, built from an event log, a CSV or call records.

A series is a regular grid of ``interval_s`` slots that starts at local midnight (in ``zone``) of
the first day with a contact and ends at local midnight after the last one, so it always holds
whole days: the daily and weekly seasons of the models line up with the calendar. Intervals
without contacts are zero (a closed hour is a zero, not a gap). The grid is in UTC steps, so on a
daylight-saving day the wall-clock pattern shifts by the hour gained or lost.

Call records are the Technion "Anonymous Bank" format: one tab-separated line per call with
``date`` as ``YYMMDD`` (``990201``), clock times as ``H:MM:SS`` and ``0:00:00`` meaning "did not
happen". A call asks for an agent when it reached an agent (``outcome`` AGENT) or entered the agent
queue (``q_start`` set); calls that hung up in the voice menu and PHANTOM records are not demand.
Its arrival instant is ``vru_entry``.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow.compute as pc
from numpy.typing import NDArray

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import CASE_ID, TIMESTAMP, EventTable

#: The zone of the Anonymous Bank call centre (Israel; UTC+2 all of February 1999).
BANK_ZONE = "Asia/Jerusalem"
CALL_FIELDS = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit", "vru_time",
    "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server",
)
_NOT_SET = "0:00:00"


@dataclass(frozen=True)
class IntervalSeries:
    """Contacts per interval from ``start`` (aware UTC, a local midnight of ``zone``) on."""

    start: datetime
    interval_s: int
    counts: NDArray[np.float64]
    zone: str

    @property
    def per_day(self) -> int:
        return 86_400 // self.interval_s

    @property
    def days(self) -> int:
        return len(self.counts) // self.per_day

    def instants(self) -> list[datetime]:
        step = timedelta(seconds=self.interval_s)
        return [self.start + i * step for i in range(len(self.counts))]

    def local_dates(self) -> list[date]:
        """The local date of each day of the series."""
        tz = ZoneInfo(self.zone)
        return [(self.start + timedelta(days=d)).astimezone(tz).date() for d in range(self.days)]

    def head(self, days: int) -> IntervalSeries:
        return IntervalSeries(self.start, self.interval_s, self.counts[: days * self.per_day], self.zone)

    def tail_from(self, day: int) -> IntervalSeries:
        start = self.start + timedelta(days=day)
        return IntervalSeries(start, self.interval_s, self.counts[day * self.per_day :], self.zone)


@dataclass(frozen=True)
class CallRecords:
    """The calls that asked for an agent, as arrays (one row per call)."""

    arrival: NDArray[np.datetime64]  # UTC, microseconds
    outcome: NDArray[np.str_]
    queue_s: NDArray[np.float64]
    service_s: NDArray[np.float64]


def check_interval(minutes: int) -> int:
    """Interval length in seconds; it must divide a day into whole slots."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0 or 1440 % minutes:
        raise ValidationError(
            f"{minutes!r} minutes does not divide a day", where="interval", hint="use 15, 30 or 60"
        )
    return minutes * 60


def zone_info(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {zone!r}", where="zone", hint='e.g. "Asia/Shanghai"') from None


def count_per_interval(instants: Iterable[datetime] | NDArray[np.datetime64], *, interval_min: int,
                       zone: str) -> IntervalSeries:
    """Zero-filled counts of ``instants`` (aware, or ``datetime64`` in UTC) over whole local days."""
    interval_s = check_interval(interval_min)
    tz = zone_info(zone)
    us = _as_utc_us(instants)
    if us.size == 0:
        raise ValidationError("no contacts to count", where="input", hint="give a log with at least one contact")
    first = datetime.fromtimestamp(int(us.min()) / 1e6, UTC).astimezone(tz).date()
    last = datetime.fromtimestamp(int(us.max()) / 1e6, UTC).astimezone(tz).date()
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    days = (last - first).days + 1
    per_day = 86_400 // interval_s
    start_us = int(start.timestamp()) * 1_000_000
    slots = (us - start_us) // (interval_s * 1_000_000)
    counts = np.bincount(slots, minlength=days * per_day)[: days * per_day].astype(np.float64)
    return IntervalSeries(start, interval_s, counts, zone)


def _as_utc_us(instants: Iterable[datetime] | NDArray[np.datetime64]) -> NDArray[np.int64]:
    if isinstance(instants, np.ndarray) and np.issubdtype(instants.dtype, np.datetime64):
        return instants.astype("datetime64[us]").astype(np.int64)
    out = []
    for i, t in enumerate(instants):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValidationError(f"{t.isoformat()} has no time zone", where=f"timestamps[{i}]",
                                  hint="give aware times, e.g. 2026-03-02T09:00:00+08:00")
        out.append(round(t.timestamp() * 1_000_000))
    return np.asarray(out, dtype=np.int64)


def series_from_event_table(log: EventTable, *, interval_min: int, zone: str) -> IntervalSeries:
    """Cases opened per interval: each case counts once, at its first event."""
    table = log.table.select([CASE_ID, TIMESTAMP])
    grouped = table.group_by(CASE_ID).aggregate([(TIMESTAMP, "min")])
    opened = pc.cast(grouped.column(f"{TIMESTAMP}_min"), "int64").to_numpy()
    return count_per_interval(opened.astype("datetime64[us]"), interval_min=interval_min, zone=zone)


def read_counts_csv(path: str | Path, *, interval_min: int, zone: str) -> IntervalSeries:
    """A CSV with columns ``timestamp,count`` (aware ISO 8601 instants); rows may repeat a slot."""
    stamps: list[int] = []
    weights: list[float] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("timestamp", "count") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(f"missing column {missing[0]!r}", where=f"{path}:1",
                                  hint="the header must be timestamp,count")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            stamps.append(_aware_us(row["timestamp"], where))
            weights.append(_count(row["count"], where))
    if not stamps:
        raise ValidationError("no rows", where=str(path), hint="give one row per interval")
    series = count_per_interval(np.asarray(stamps, dtype="datetime64[us]"), interval_min=interval_min, zone=zone)
    slots = (np.asarray(stamps) - int(series.start.timestamp()) * 1_000_000) // (series.interval_s * 1_000_000)
    counts = np.bincount(slots, weights=weights, minlength=len(series.counts))[: len(series.counts)]
    return IntervalSeries(series.start, series.interval_s, counts.astype(np.float64), zone)


def _aware_us(text: str, where: str) -> int:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{text!r} is not an ISO 8601 instant", where=f"{where} [timestamp]",
                              hint="e.g. 2026-03-02T09:00:00+08:00") from None
    if value.tzinfo is None:
        raise ValidationError(f"{text!r} has no time zone", where=f"{where} [timestamp]",
                              hint="add the offset, e.g. 2026-03-02T09:00:00+08:00 or ...Z")
    return round(value.timestamp() * 1_000_000)


def _count(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a number", where=f"{where} [count]", hint="e.g. 42") from None
    if not value >= 0:
        raise ValidationError(f"{text!r} is negative", where=f"{where} [count]", hint="counts are >= 0")
    return value


def read_call_records(path: str | Path, *, zone: str = BANK_ZONE) -> CallRecords:
    """The calls of an Anonymous Bank file (plain or ``.gz``) that asked for an agent."""
    tz = zone_info(zone)
    arrival, outcome, queue_s, service_s = [], [], [], []
    for line_no, row in _call_rows(path):
        where = f"{path}:{line_no}"
        if row["outcome"] == "PHANTOM" or (row["outcome"] != "AGENT" and row["q_start"] == _NOT_SET):
            continue
        day = _call_date(row["date"], where)
        arrival.append(datetime.combine(day, _clock(row["vru_entry"], where, "vru_entry"), tz).timestamp())
        outcome.append(row["outcome"])
        queue_s.append(_seconds(row["q_time"], where, "q_time"))
        service_s.append(_seconds(row["ser_time"], where, "ser_time"))
    stamps = (np.asarray(arrival) * 1_000_000).round().astype(np.int64).astype("datetime64[us]")
    return CallRecords(stamps, np.asarray(outcome), np.asarray(queue_s, float), np.asarray(service_s, float))


def series_from_call_records(path: str | Path, *, interval_min: int, zone: str = BANK_ZONE) -> IntervalSeries:
    return count_per_interval(read_call_records(path, zone=zone).arrival, interval_min=interval_min, zone=zone)


def _call_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as raw:
        lines = io.TextIOWrapper(raw, encoding="ascii", newline="")
        header = next(lines, "").rstrip("\r\n").split("\t")
        if tuple(header) != CALL_FIELDS:
            wrong = next((h for h, f in zip(header, CALL_FIELDS, strict=False) if h != f), "too few fields")
            raise ValidationError(f"header does not match the call-record format at {wrong!r}", where=f"{path}:1",
                                  hint="expected tab-separated: " + ",".join(CALL_FIELDS))
        for line_no, line in enumerate(lines, start=2):
            values = line.rstrip("\r\n").split("\t")
            if len(values) != len(CALL_FIELDS):
                raise ValidationError(f"{len(values)} fields, expected {len(CALL_FIELDS)}", where=f"{path}:{line_no}",
                                      hint="fields are tab-separated")
            yield line_no, dict(zip(CALL_FIELDS, values, strict=True))


def _call_date(text: str, where: str) -> date:
    try:
        return date(1900 + int(text[:2]) if int(text[:2]) >= 50 else 2000 + int(text[:2]), int(text[2:4]),
                    int(text[4:6]))
    except ValueError:
        raise ValidationError(f"{text!r} is not a YYMMDD date", where=f"{where} [date]", hint="e.g. 990201") from None


def _clock(text: str, where: str, name: str) -> time:
    try:
        hours, minutes, seconds = (int(p) for p in text.split(":"))
        return time(hours, minutes, seconds)
    except ValueError:
        raise ValidationError(f"{text!r} is not H:MM:SS", where=f"{where} [{name}]", hint="e.g. 7:02:47") from None


def _seconds(text: str, where: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a number of seconds", where=f"{where} [{name}]",
                              hint="e.g. 166") from None
    if value < 0:
        raise ValidationError(f"{text!r} is negative", where=f"{where} [{name}]", hint="seconds are >= 0")
    return value
