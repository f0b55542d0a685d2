"""Contacts per interval: the input of forecasting, built from an event log, a CSV or call records.

A series holds whole local days (in ``zone``) from the first day with a contact to the last, each
cut into the same number of wall-clock slots, so the daily and weekly seasons of the models line
up with the calendar. A contact falls in the slot its local wall-clock time shows; intervals
without contacts are zero (a closed hour is a zero, not a gap). On a daylight-saving day the slots
of the hour that never exists stay zero and the hour shown twice counts into one set of slots.

Call records (the Technion "Anonymous Bank" format, read by ``callrecords``) count the calls that
asked for an agent, at the instant they came in (``vru_entry``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
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
from liucheng.workforce.callrecords import read_call_records

#: The zone of the Anonymous Bank call centre (Israel; UTC+2 all of February 1999).
BANK_ZONE = "Asia/Jerusalem"


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


def series_from_call_records(path: str | Path, *, interval_min: int, zone: str = BANK_ZONE) -> IntervalSeries:
    """Calls that asked for an agent per interval, counted when they came in (see ``callrecords``)."""
    zone_info(zone)
    return count_per_interval(read_call_records(path).entry_instants(zone), interval_min=interval_min, zone=zone)
