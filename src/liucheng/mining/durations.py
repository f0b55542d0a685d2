"""Case durations and case volumes over time.

A case's duration is the time from its first to its last event, in seconds (exact to the
microsecond), as PM4Py's ``get_all_case_durations``. Quantiles are interpolated (numpy's
default). Periods are calendar days, ISO weeks (starting Monday) or months in UTC; a case is
*opened* in the period of its first event and *closed* in the period of its last event (every
case in a log counts as closed at its last event: a log does not say which cases are still open).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import ibis
import msgspec
import pyarrow as pa

from liucheng.eventlog.table import CASE_ID
from liucheng.mining._ibis import EventsLike, MiningInputError, case_spans, check_choice, select_events

Period = Literal["day", "week", "month"]
_PERIODS: Final = ("day", "week", "month")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_PERCENTILES: Final = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class CaseDurations:
    """One row per case: ``case_id``, ``start``, ``end``, ``n_events``, ``duration_s``, sorted by case id."""

    table: pa.Table

    def durations_s(self) -> dict[str, float]:
        return dict(zip(self.table[CASE_ID].to_pylist(), self.table["duration_s"].to_pylist(), strict=True))

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_dicts(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()


class HistogramBin(msgspec.Struct, frozen=True):
    """Cases with ``lower_s <= duration < upper_s`` (the last bin includes its upper bound)."""

    lower_s: float
    upper_s: float
    count: int


class DurationDistribution(msgspec.Struct, frozen=True):
    """Summary of the case durations, in seconds. Empty logs give ``count=0`` and ``None`` statistics."""

    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    min_s: float | None
    max_s: float | None
    #: Quantile (a fraction, e.g. 0.95) -> duration.
    percentiles: dict[float, float]
    bins: tuple[HistogramBin, ...]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The histogram bins as plain dicts."""
        return [msgspec.structs.asdict(b) for b in self.bins]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.to_dicts(), schema=pa.schema([("lower_s", pa.float64()),
                                                                        ("upper_s", pa.float64()),
                                                                        ("count", pa.int64())]))


class PeriodCount(msgspec.Struct, frozen=True):
    """Cases opened and closed in the period starting at ``period_start`` (UTC)."""

    period_start: datetime
    opened: int
    closed: int


class CasesPerPeriod(msgspec.Struct, frozen=True):
    period: str
    rows: tuple[PeriodCount, ...]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [msgspec.structs.asdict(row) for row in self.rows]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.to_dicts(), schema=pa.schema([("period_start", pa.timestamp("us", "UTC")),
                                                                        ("opened", pa.int64()),
                                                                        ("closed", pa.int64())]))


def get_case_durations(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None) -> CaseDurations:
    """Every case with its first and last timestamp, its number of events and its duration."""
    spans = case_spans(select_events(events, lifecycle=lifecycle))
    return CaseDurations(spans.select(CASE_ID, "start", "end", "n_events", "duration_s").order_by(CASE_ID).to_pyarrow())


def get_duration_distribution(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                              percentiles: Sequence[float] = DEFAULT_PERCENTILES,
                              bins: int = 20) -> DurationDistribution:
    """Count, mean, quantiles and an equal-width histogram (``bins`` bins from min to max) of case durations."""
    if bins < 1:
        raise MiningInputError(f"bins={bins!r} is not a positive number of histogram bins")
    bad = [p for p in percentiles if not 0 <= p <= 1]
    if bad:
        raise MiningInputError(f"percentiles {bad} are not fractions in [0, 1]", hint="write the 95th as 0.95")
    spans = case_spans(select_events(events, lifecycle=lifecycle))
    d = spans.duration_s
    metrics: dict[str, Any] = {"count": spans.count(), "mean_s": d.mean(), "median_s": d.median(),
                               "p90_s": d.quantile(0.9), "min_s": d.min(), "max_s": d.max()}
    metrics.update({f"q{i}": d.quantile(p) for i, p in enumerate(percentiles)})
    summary = spans.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    if not summary["count"]:
        return DurationDistribution(count=0, mean_s=None, median_s=None, p90_s=None, min_s=None, max_s=None,
                                    percentiles={}, bins=())
    return DurationDistribution(
        count=summary["count"], mean_s=summary["mean_s"], median_s=summary["median_s"], p90_s=summary["p90_s"],
        min_s=summary["min_s"], max_s=summary["max_s"],
        percentiles={p: summary[f"q{i}"] for i, p in enumerate(percentiles)},
        bins=_histogram(spans, summary["min_s"], summary["max_s"], bins))


def _histogram(spans: Any, low: float, high: float, bins: int) -> tuple[HistogramBin, ...]:
    width = (high - low) / bins
    if width == 0:
        return (HistogramBin(lower_s=low, upper_s=high, count=spans.count().to_pyarrow().as_py()),)
    index = ibis.least(((spans.duration_s - low) / width).floor().cast("int64"), bins - 1)
    rows = spans.group_by(bin=index).aggregate(n=spans.count()).to_pyarrow().to_pylist()
    counted = {row["bin"]: row["n"] for row in rows}
    return tuple(HistogramBin(lower_s=low + i * width, upper_s=high if i == bins - 1 else low + (i + 1) * width,
                              count=counted.get(i, 0)) for i in range(bins))


def get_cases_per_period(events: EventsLike, *, period: Period = "day") -> CasesPerPeriod:
    """Cases opened and closed per UTC day, ISO week or month; periods with neither are left out."""
    check_choice("period", period, _PERIODS)
    spans = case_spans(select_events(events))
    counts: dict[datetime, list[int]] = {}
    for slot, column in enumerate(("start", "end")):
        # Group by the UTC day number in the database (independent of the session's time zone),
        # then fold days into weeks or months here: there are only a few thousand days.
        day = (spans[column].epoch_seconds() // 86_400).cast("int64")
        for row in spans.group_by(day=day).aggregate(n=spans.count()).to_pyarrow().to_pylist():
            start = _period_start(_EPOCH + timedelta(days=row["day"]), period)
            counts.setdefault(start, [0, 0])[slot] += row["n"]
    rows = tuple(PeriodCount(period_start=start, opened=n[0], closed=n[1]) for start, n in sorted(counts.items()))
    return CasesPerPeriod(period=period, rows=rows)


def _period_start(day: datetime, period: Period) -> datetime:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day
