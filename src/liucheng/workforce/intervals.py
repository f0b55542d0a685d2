"""Contacts per interval: the input of forecasting, built from an event log, a CSV or call records.

A series holds whole local days (in ``zone``) from the first day with a contact to the last, each
cut into the same number of wall-clock slots, so the daily and weekly seasons of the models line
up with the calendar. A contact falls in the slot its local wall-clock time shows; intervals
without contacts are zero (a closed hour is a zero, not a gap). On a daylight-saving day the slots
of the hour that never exists stay zero and the hour shown twice counts into one set of slots.

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
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray

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
    """Contacts per wall-clock interval of whole local days from ``first_day`` on."""

    first_day: date
    interval_s: int
    counts: NDArray[np.float64]
    zone: str

    @property
    def per_day(self) -> int:
        return 86_400 // self.interval_s

    @property
    def days(self) -> int:
        return len(self.counts) // self.per_day

    @property
    def start(self) -> datetime:
        """The first slot's start: local midnight of ``first_day``, in UTC."""
        return slot_instants(self.first_day, self.zone, self.interval_s, 1)[0]

    def local_dates(self) -> list[date]:
        return [self.first_day + timedelta(days=d) for d in range(self.days)]

    def head(self, days: int) -> IntervalSeries:
        return IntervalSeries(self.first_day, self.interval_s, self.counts[: days * self.per_day], self.zone)


def slot_instants(first_day: date, zone: str, interval_s: int, n: int) -> list[datetime]:
    """UTC start of each of ``n`` wall-clock slots from local midnight of ``first_day``."""
    tz = zone_info(zone)
    per_day = 86_400 // interval_s
    out = []
    for i in range(n):
        day, slot = divmod(i, per_day)
        wall = datetime.combine(first_day + timedelta(days=day), time(0)) + timedelta(seconds=slot * interval_s)
        out.append(wall.replace(tzinfo=tz).astimezone(UTC))
    return out


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
                       zone: str, weights: ArrayLike | None = None) -> IntervalSeries:
    """Zero-filled counts (or sums of ``weights``) of ``instants`` (aware, or ``datetime64`` in UTC)
    per local wall-clock slot over whole days."""
    interval_s = check_interval(interval_min)
    zone_info(zone)
    us = _as_utc_us(instants)
    if us.size == 0:
        raise ValidationError("no contacts to count", where="input", hint="give a log with at least one contact")
    aware = pa.array(us, pa.int64()).cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz=zone))
    wall = pc.local_timestamp(aware).cast(pa.int64()).to_numpy()  # local wall clock as epoch microseconds
    day_us = 86_400 * 1_000_000
    first = int(wall.min()) // day_us
    days = int(wall.max()) // day_us - first + 1
    per_day = 86_400 // interval_s
    slots = (wall - first * day_us) // (interval_s * 1_000_000)
    counts = np.bincount(slots, weights=weights, minlength=days * per_day)[: days * per_day]
    return IntervalSeries(date(1970, 1, 1) + timedelta(days=first), interval_s, counts.astype(np.float64), zone)


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
    return count_per_interval(np.asarray(stamps, dtype="datetime64[us]"), interval_min=interval_min, zone=zone,
                              weights=weights)


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
